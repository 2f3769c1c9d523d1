//! For witnesses (the Inspektorat, the DPRD, a university): make a witness
//! key, and serve `add-checkpoint` for the logs named in a file.

use super::*;
use crate::tlog::cosignature::Cosigner;
use crate::tlog::note::NoteVerifier;

/// File names of the witness's keys in its keys directory.
const WITNESS_KEY_FILE: &str = "witness.key";
const WITNESS_VKEY_FILE: &str = "witness.vkey";

/// What `prasasti witness` does.
#[derive(clap::Subcommand, Debug)]
pub enum WitnessCommand {
    /// Create the witness's key: DIR/witness.key (0600) and DIR/witness.vkey.
    Init {
        /// The witness's name, such as saksi.dprd.karanganyarkab.go.id.
        #[arg(long)]
        name: String,
        /// Directory for the key files.
        #[arg(long, default_value = "witness-keys")]
        keys: PathBuf,
    },
    /// Serve POST /add-checkpoint for the logs in FILE (`log <vkey> [url]` lines).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        /// Directory holding witness.key.
        #[arg(long, default_value = "witness-keys")]
        keys: PathBuf,
        /// The witness's database (it remembers what it cosigned).
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite://witness.db")]
        database: String,
        /// The logs witnessed: `log <vkey> [url]` lines, as in a tlog-policy file.
        #[arg(long)]
        logs: PathBuf,
    },
}

pub(super) async fn run(command: WitnessCommand) -> Result<()> {
    match command {
        WitnessCommand::Init { name, keys } => {
            let cosigner = Cosigner::generate(&name)?;
            let vkey = cosigner.verifier().to_vkey_string();
            keys::write_key_pair(
                &keys,
                WITNESS_KEY_FILE,
                &cosigner.to_private_string(),
                WITNESS_VKEY_FILE,
                &vkey,
            )?;
            println!(
                "created {} (keep it secret) and {}",
                keys.join(WITNESS_KEY_FILE).display(),
                keys.join(WITNESS_VKEY_FILE).display()
            );
            println!("witness key (give it to the logs you witness): {vkey}");
            Ok(())
        }
        WitnessCommand::Serve {
            listen,
            keys,
            database,
            logs,
        } => {
            let text = keys::read_private(&keys.join(WITNESS_KEY_FILE))?;
            let cosigner = Cosigner::parse(text.trim()).context("reading witness.key")?;
            let logs = read_logs(&logs)?;
            let store = Store::connect(&database)
                .await
                .with_context(|| format!("opening {}", server::redact(&database)))?;
            let witness = crate::witness::Witness::new(cosigner, logs.clone(), store);
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            println!(
                "witness serving POST http://{}/add-checkpoint for {} log(s): {}",
                listener.local_addr()?,
                logs.len(),
                logs.iter()
                    .map(NoteVerifier::name)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            axum::serve(listener, witness.router())
                .with_graceful_shutdown(server::shutdown_signal())
                .await?;
            Ok(())
        }
    }
}

/// Reads the `log <vkey> [url]` lines of a file (other lines of a policy
/// file are allowed and ignored; `#` starts a comment).
fn read_logs(path: &Path) -> Result<Vec<NoteVerifier>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut logs = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let words = crate::tlog::policy::line_words(line);
        if let ["log", vkey, ..] = words.as_slice() {
            logs.push(NoteVerifier::parse(vkey).with_context(|| {
                format!("{} line {}: the log's key", path.display(), number + 1)
            })?);
        }
    }
    if logs.is_empty() {
        bail!("{} names no log (a line: log <vkey> [url])", path.display());
    }
    Ok(logs)
}
