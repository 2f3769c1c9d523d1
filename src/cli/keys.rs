//! Key files: the ledger's checkpoint key and officials' signing keys, in
//! Go's note key formats, written with owner-only permissions.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::ledger::statement::keyid_of;
use crate::tlog::note::{NoteSigner, is_valid_name};

/// File name of the ledger's private key in the keys directory.
pub const LEDGER_KEY_FILE: &str = "ledger.key";
/// File name of the ledger's verifier key in the keys directory.
pub const LEDGER_VKEY_FILE: &str = "ledger.vkey";

fn write_new(path: &Path, contents: &str, secret: bool) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; refusing to overwrite a key",
                path.display()
            )
        } else {
            anyhow::anyhow!("cannot create {}: {e}", path.display())
        }
    })?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

fn write_pair(signer: &NoteSigner, dir: &Path, stem: &str) -> Result<String> {
    let vkey = signer.verifier().to_vkey_string();
    write_key_pair(
        dir,
        &format!("{stem}.key"),
        &signer.to_private_string(),
        &format!("{stem}.vkey"),
        &vkey,
    )?;
    Ok(vkey)
}

/// Writes a private key file (0600) and its public key file into `dir`,
/// refusing to overwrite either.
pub fn write_key_pair(
    dir: &Path,
    key_file: &str,
    private: &str,
    vkey_file: &str,
    vkey: &str,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let vkey_path = dir.join(vkey_file);
    if vkey_path.exists() {
        bail!(
            "{} already exists; refusing to overwrite a key",
            vkey_path.display()
        );
    }
    write_new(&dir.join(key_file), &format!("{private}\n"), true)?;
    write_new(&vkey_path, &format!("{vkey}\n"), false)
}

/// Reads a private key file's text, refusing one readable by group or others.
pub fn read_private(path: &Path) -> Result<String> {
    check_private(path)?;
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Creates `dir/ledger.key` (mode 0600) and `dir/ledger.vkey` for `origin`.
pub fn init_ledger_keys(origin: &str, dir: &Path) -> Result<String> {
    if !is_valid_name(origin) {
        bail!(
            "the origin {origin:?} must be non-empty with no spaces and no '+', such as karanganyar.go.id/prasasti"
        );
    }
    let signer = NoteSigner::generate(origin)?;
    write_pair(&signer, dir, "ledger")
}

/// Creates `dir/NAME.key` and `dir/NAME.vkey`; returns the verifier key and the envelope keyid.
pub fn keygen(name: &str, dir: &Path) -> Result<(String, String)> {
    if !is_valid_name(name) || name.contains('/') {
        bail!("the key name {name:?} must be non-empty with no spaces, '/' or '+'");
    }
    let signer = NoteSigner::generate(name)?;
    let vkey = write_pair(&signer, dir, name)?;
    Ok((vkey, keyid_of(&signer.signing_key().verifying_key())))
}

fn check_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} can be read by other users (mode {:o}); a private key must be owner-only: chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    Ok(())
}

/// Reads a private key file, refusing one readable by group or others.
pub fn load_signing_key(path: &Path) -> Result<NoteSigner> {
    let text = read_private(path)?;
    NoteSigner::parse(text.trim())
        .with_context(|| format!("{} is not a private key", path.display()))
}

/// Reads the ledger's private key file.
pub fn load_ledger_key(path: &Path) -> Result<NoteSigner> {
    load_signing_key(path)
}

/// Writes the demo officials' key files (public demo keys, named after
/// office and holder) into `dir` for trying the signing desk; files that
/// exist are left alone. Returns how many were written.
pub fn write_demo_keys(origin: &str, dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = 0;
    for (name, key) in crate::governance::demo::officials(origin) {
        let path = dir.join(format!("{name}.key"));
        if path.exists() {
            continue;
        }
        let signer = NoteSigner::from_seed(&name, key.to_bytes())?;
        write_new(&path, &format!("{}\n", signer.to_private_string()), true)?;
        written += 1;
    }
    Ok(written)
}
