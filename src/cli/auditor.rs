//! For auditors: the full verify, the audit report, the mirror, the monitor
//! and the offline proof check.

use super::*;
use crate::ledger::verify::VerifyError;

pub(super) fn default_state_file(origin: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    let name: String = origin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(base.join("prasasti").join(format!("{name}.checkpoint")))
}

pub(super) async fn verify_cmd(
    source: Source,
    verifier: NoteVerifier,
    policy: Option<crate::tlog::policy::Policy>,
    state: Option<PathBuf>,
    strict: bool,
) -> Result<()> {
    let state_file = state.or_else(|| default_state_file(verifier.name()));
    let options = verify::Options {
        verifier: verifier.clone(),
        state_file: state_file.clone(),
        policy,
        progress: progress_bar("verifying"),
    };
    match audit::audit(&source, &options).await {
        Ok(audit) => {
            let report = &audit.log;
            let secs = report.elapsed.as_secs_f64().max(1e-9);
            println!(
                "log OK: {} entries and {} signatures verified; root {} matches the checkpoint signed by {}",
                report.entries,
                report.signatures,
                report.checkpoint.root,
                verifier.name()
            );
            if !report.cosigners.is_empty() {
                println!(
                    "witnessed: cosigned by {} (the policy's quorum is met)",
                    cosigner_list(&report.cosigners)
                );
            }
            match report.previously_trusted {
                Some(size) => {
                    println!("the log extends the checkpoint of {size} entries trusted before")
                }
                None => println!(
                    "no earlier checkpoint was trusted; this one is remembered from now on"
                ),
            }
            if let Some(path) = state_file {
                println!("trusted checkpoint saved in {}", path.display());
            }
            for v in &report.violations {
                println!(
                    "RULE VIOLATION at entry {}: {} ({})",
                    v.index,
                    v.refusal,
                    v.refusal.code()
                );
            }
            for f in &audit.flags {
                println!(
                    "FLAG: entry {} was signed with key {} after it was declared compromised (since {}, revoked by entry {})",
                    f.index, f.keyid, f.compromised_since, f.revoked_by
                );
            }
            println!("governance state hash {}", audit.state_hash.to_hex());
            match &audit.state_check {
                StateCheck::Matches => println!("the ledger publishes the same state hash"),
                StateCheck::Differs { published, .. } => {
                    println!(
                        "STATE MISMATCH: the ledger publishes state hash {}",
                        published.to_hex()
                    )
                }
                StateCheck::Unavailable(why) => println!("state hash not compared: {why}"),
            }
            println!(
                "{:.2} s, {:.0} entries/s",
                secs,
                report.entries as f64 / secs
            );
            if !audit.is_clean() {
                bail!(
                    "VERIFICATION FAILED: {} rule violation(s){}",
                    report.violations.len(),
                    if matches!(audit.state_check, StateCheck::Differs { .. }) {
                        ", and the published state differs from the replay"
                    } else {
                        ""
                    }
                );
            }
            if strict && !audit.flags.is_empty() {
                bail!(
                    "VERIFICATION FAILED (--strict): {} entr(y/ies) signed with a key after it was declared compromised",
                    audit.flags.len()
                );
            }
            println!("OK: the log and its governance rules verify");
            Ok(())
        }
        Err(e) => bail!("VERIFICATION FAILED: {e}"),
    }
}

/// "name (time), …" for the witnesses that cosigned.
fn cosigner_list(cosigners: &[(String, u64)]) -> String {
    cosigners
        .iter()
        .map(|(name, time)| {
            let when = i64::try_from(*time)
                .ok()
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map_or_else(|| time.to_string(), crate::ledger::entry::format_time);
            format!("{name} at {when}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn check_proof(
    verifier: &NoteVerifier,
    policy: Option<&crate::tlog::policy::Policy>,
    proof: &Path,
    entry: &Path,
) -> Result<()> {
    let text =
        std::fs::read_to_string(proof).with_context(|| format!("reading {}", proof.display()))?;
    let bundle = ProofBundle::parse(&text)?;
    let raw = std::fs::read(entry).with_context(|| format!("reading {}", entry.display()))?;
    // The leaf is the entry's canonical JSON; accept the API's answer too.
    let leaf = match serde_json::from_slice::<Value>(&raw) {
        Ok(Value::Object(mut answer)) if answer.get("entry").is_some_and(Value::is_object) => {
            statement::canonical_json(&answer.remove("entry"))
        }
        Ok(value @ Value::Object(_)) => statement::canonical_json(&value),
        _ => raw,
    };
    let checkpoint = bundle.verify(&leaf, verifier)?;
    if let Some(policy) = policy {
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        let cosigners = policy
            .check(&bundle.checkpoint, verifier, now)
            .context("the proof's checkpoint")?;
        println!("witnessed: cosigned by {}", cosigner_list(&cosigners));
    }
    println!(
        "OK: the entry is entry {} of the log of {} entries signed by {}",
        bundle.index,
        checkpoint.size,
        verifier.name()
    );
    Ok(())
}

pub(super) async fn mirror_cmd(
    server: &str,
    verifier: NoteVerifier,
    policy: Option<crate::tlog::policy::Policy>,
    out: &Path,
) -> Result<()> {
    use crate::auditor::mirror::{MirrorOptions, mirror};
    let options = MirrorOptions {
        verifier,
        policy,
        progress: counted_bar("mirroring", "tiles"),
    };
    match mirror(server, out, &options).await {
        Ok(done) => {
            match done.previous {
                Some(previous) => println!(
                    "mirror {} extended from {previous} to {} entries ({} tiles fetched), consistent with its previous checkpoint",
                    out.display(),
                    done.size,
                    done.fetched
                ),
                None => println!(
                    "mirror {} holds {} entries ({} tiles fetched)",
                    out.display(),
                    done.size,
                    done.fetched
                ),
            }
            println!(
                "every tile checked against the checkpoint; verify offline with: prasasti verify --mirror {} --vkey <ledger.vkey>",
                out.display()
            );
            Ok(())
        }
        Err(e @ (VerifyError::Rollback { .. } | VerifyError::Fork { .. })) => bail!(
            "ALARM: the server is not consistent with the mirror: {e}. The mirror keeps its previous state."
        ),
        Err(e) => {
            bail!("MIRROR FAILED: {e}. The mirror keeps its previous state; run again to resume.")
        }
    }
}

/// Where alerts go besides standard output.
pub(super) struct Alerting {
    pub(super) webhook: Option<String>,
    pub(super) exec: Option<String>,
}

impl Alerting {
    async fn send(&self, alert: &crate::auditor::monitor::Alert) {
        use std::io::Write as _;
        println!("{}", alert.line());
        let _ = std::io::stdout().flush();
        let json = serde_json::to_string(alert).unwrap_or_default();
        if let Some(url) = &self.webhook {
            let sent = match crate::ledger::http::client() {
                Ok(client) => client
                    .post(url)
                    .timeout(std::time::Duration::from_secs(10))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(json.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| {
                        if r.status().is_success() {
                            Ok(())
                        } else {
                            Err(format!("HTTP {}", r.status()))
                        }
                    }),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = sent {
                eprintln!("the webhook {url} did not take the alert: {e}");
            }
        }
        if let Some(command) = &self.exec {
            let run = std::process::Command::new("sh")
                .args(["-c", command])
                .env("PRASASTI_ALERT", &json)
                .stdin(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut child| {
                    if let Some(mut stdin) = child.stdin.take() {
                        stdin.write_all(json.as_bytes())?;
                    }
                    child.wait()
                });
            match run {
                Ok(status) if status.success() => {}
                Ok(status) => eprintln!("the alert command ended with {status}"),
                Err(e) => eprintln!("the alert command did not run: {e}"),
            }
        }
    }
}

pub(super) async fn monitor_cmd(
    options: crate::auditor::monitor::MonitorOptions,
    alerting: Alerting,
    interval: std::time::Duration,
    once: bool,
) -> Result<()> {
    let origin = options.verifier.name().to_owned();
    let state_file = options.state_file.clone();
    let mut monitor = crate::auditor::monitor::Monitor::new(options)?;
    eprintln!(
        "monitoring {origin}; state in {} (stop with Ctrl-C)",
        state_file.display()
    );
    let mut shutdown = std::pin::pin!(server::shutdown_signal());
    loop {
        match monitor.poll().await {
            Ok(alerts) => {
                for alert in &alerts {
                    alerting.send(alert).await;
                }
            }
            Err(e) if once => bail!("the log could not be read: {e}"),
            Err(e) => eprintln!("the log could not be read (trying again): {e}"),
        }
        if once {
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = &mut shutdown => return Ok(()),
        }
    }
}

pub(super) async fn report_cmd(
    source: &Source,
    verifier: NoteVerifier,
    policy: Option<crate::tlog::policy::Policy>,
    since: crate::auditor::report::Since,
    format: crate::auditor::report::Format,
    english: bool,
    out: &Path,
) -> Result<()> {
    use crate::auditor::report::{ReportOptions, build, render};
    let options = ReportOptions {
        verifier,
        policy,
        since,
        progress: progress_bar("verifying"),
    };
    let report = build(source, &options)
        .await
        .map_err(|e| anyhow::anyhow!("NO REPORT: {e}"))?;
    std::fs::write(out, render(&report, format, english))
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "the log verifies; report of entries {} to {} ({} entries, {} programmes, {} terms) written to {}",
        report.from.tree_size,
        report.to.tree_size,
        report.entries.len(),
        report.programmes.len(),
        report.terms.len(),
        out.display()
    );
    Ok(())
}

/// `prasasti monitor`.
#[derive(clap::Args, Debug)]
pub struct MonitorArgs {
    /// The server to follow.
    #[arg(long)]
    server: String,
    /// The keys trusted.
    #[command(flatten)]
    trust: TrustArgs,
    /// The watch rules: `key <keyid>`, `office <id>`, `programme <id>`,
    /// `type <statement type>`, `overdue`, one a line.
    #[arg(long)]
    watch: PathBuf,
    /// Where to remember the last checkpoint reported on (default: in
    /// the user's state directory, per log).
    #[arg(long)]
    state: Option<PathBuf>,
    /// POST each alert as JSON to this URL.
    #[arg(long)]
    webhook: Option<String>,
    /// Run this shell command for each alert, with the alert's JSON on
    /// its standard input and in PRASASTI_ALERT.
    #[arg(long)]
    exec: Option<String>,
    /// Seconds between polls.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86400))]
    interval: u64,
    /// Poll once and exit (for cron).
    #[arg(long)]
    once: bool,
}

impl MonitorArgs {
    /// Runs the command.
    pub(super) async fn run(self) -> Result<()> {
        let MonitorArgs {
            server,
            trust,
            watch,
            state,
            webhook,
            exec,
            interval,
            once,
        } = self;
        let (verifier, policy) = trust.read()?;
        let text = std::fs::read_to_string(&watch)
            .with_context(|| format!("reading {}", watch.display()))?;
        let rules = crate::auditor::monitor::parse_watch(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", watch.display()))?;
        let state_file = match state {
            Some(path) => path,
            None => default_state_file(verifier.name())
                .map(|p| p.with_extension("monitor.json"))
                .context("no state directory: give --state FILE")?,
        };
        let options = crate::auditor::monitor::MonitorOptions {
            server,
            verifier,
            policy,
            rules,
            state_file,
        };
        let alerting = Alerting { webhook, exec };
        monitor_cmd(
            options,
            alerting,
            std::time::Duration::from_secs(interval),
            once,
        )
        .await
    }
}

/// What `prasasti audit` does.
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Verify the log, then report what happened in it since a checkpoint:
    /// per Bupati term and per programme, every line naming its entry.
    Report {
        /// Where the log is read.
        #[command(flatten)]
        log: LogArgs,
        /// The keys trusted.
        #[command(flatten)]
        trust: TrustArgs,
        /// Report what happened after this checkpoint (a file holding the
        /// signed note, such as the state file of an earlier verify).
        #[arg(long, conflicts_with = "since_size")]
        since: Option<PathBuf>,
        /// Report what happened after the first N entries.
        #[arg(long)]
        since_size: Option<u64>,
        /// html (prints on A4), md or json.
        #[arg(long, default_value = "html")]
        format: crate::auditor::report::Format,
        /// id (Bahasa Indonesia) or en.
        #[arg(long, default_value = "id", value_parser = ["id", "en"])]
        lang: String,
        /// Where to write the report.
        #[arg(long)]
        out: PathBuf,
    },
}

impl AuditCommand {
    /// Runs the command.
    pub(super) async fn run(self) -> Result<()> {
        match self {
            AuditCommand::Report {
                log,
                trust,
                since,
                since_size,
                format,
                lang,
                out,
            } => {
                let (verifier, policy) = trust.read()?;
                let source = log.source().await?;
                let since = match (since, since_size) {
                    (Some(path), _) => crate::auditor::report::Since::Checkpoint(
                        std::fs::read_to_string(&path)
                            .with_context(|| format!("reading {}", path.display()))?,
                    ),
                    (None, Some(n)) => crate::auditor::report::Since::Size(n),
                    (None, None) => crate::auditor::report::Since::Start,
                };
                report_cmd(&source, verifier, policy, since, format, lang == "en", &out).await
            }
        }
    }
}
