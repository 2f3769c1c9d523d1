//! What an auditor's commands share: where the log is read (a server, a
//! database or a mirror) and which keys are trusted (the log's, and the
//! witnesses' through a policy).

use super::*;

/// Where an auditor reads the log: a server, a database or a mirror.
#[derive(clap::Args, Debug)]
pub struct LogArgs {
    /// Read the log from this server.
    #[arg(
        long,
        conflicts_with_all = ["database", "mirror"],
        required_unless_present_any = ["database", "mirror"]
    )]
    server: Option<String>,
    /// Read the log from this database.
    #[arg(long, conflicts_with = "mirror")]
    database: Option<String>,
    /// Read the log from this mirror directory (prasasti mirror), offline.
    #[arg(long)]
    mirror: Option<PathBuf>,
}

impl LogArgs {
    pub(super) async fn source(self) -> Result<Source> {
        Ok(match (self.server, self.database, self.mirror) {
            (Some(server), _, _) => Source::Server {
                base: server.trim_end_matches('/').to_owned(),
            },
            (None, Some(database), _) => Source::Database(
                Store::open(&database)
                    .await
                    .with_context(|| format!("opening {}", redact(&database)))?,
            ),
            (None, None, Some(dir)) => Source::Mirror(dir),
            (None, None, None) => bail!("give --server URL, --database URL or --mirror DIR"),
        })
    }
}

/// The keys an auditor trusts: the log's, and the witnesses' through a
/// policy.
#[derive(clap::Args, Debug)]
pub struct TrustArgs {
    /// The ledger's verifier key file (ledger.vkey); optional with a
    /// --policy that names the log.
    #[arg(long, required_unless_present = "policy")]
    vkey: Option<PathBuf>,
    /// A witness policy (c2sp.org/tlog-policy): the checkpoint must carry
    /// cosignatures meeting its quorum.
    #[arg(long)]
    policy: Option<PathBuf>,
}

/// Reads a witness policy file.
pub(super) fn read_policy(path: &Path) -> Result<crate::tlog::policy::Policy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    crate::tlog::policy::Policy::parse(&text)
        .with_context(|| format!("{} is not a witness policy", path.display()))
}

impl TrustArgs {
    /// The log key and the witness policy: the key from `--vkey`, or from
    /// the policy's one `log` line.
    pub(super) fn read(&self) -> Result<(NoteVerifier, Option<crate::tlog::policy::Policy>)> {
        trust(self.vkey.as_deref(), self.policy.as_deref())
    }
}

pub(super) fn trust(
    vkey: Option<&Path>,
    policy: Option<&Path>,
) -> Result<(NoteVerifier, Option<crate::tlog::policy::Policy>)> {
    let policy = policy.map(read_policy).transpose()?;
    let verifier = match (vkey, &policy) {
        (Some(path), _) => read_verifier(path)?,
        (None, Some(p)) => match p.logs.as_slice() {
            [log] => log.key.clone(),
            [] => bail!("the policy names no log: give --vkey"),
            _ => bail!("the policy names several logs: give --vkey for the one to verify"),
        },
        (None, None) => bail!("give --vkey (or a --policy with a log line)"),
    };
    if let Some(log) = policy.as_ref().and_then(|p| p.log(verifier.name()))
        && log.key != verifier
    {
        bail!(
            "the policy's key for {} ({}) is not the key given ({})",
            verifier.name(),
            log.key.to_vkey_string(),
            verifier.to_vkey_string()
        );
    }
    Ok((verifier, policy))
}

pub(super) fn read_verifier(path: &Path) -> Result<NoteVerifier> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    NoteVerifier::parse(text.trim())
        .with_context(|| format!("{} is not a verifier key", path.display()))
}
