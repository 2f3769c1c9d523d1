//! The command line: argument definitions and one function per command.
//! `main.rs` only parses and calls [`run`].

mod auditor;
mod drafts;
mod keys;
mod official;
mod server;
mod witness;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::Value;

use crate::governance::Governance;
use crate::governance::audit::{self, StateCheck};
use crate::ledger::statement::{self, Envelope};
use crate::ledger::verify::{self, Source};
use crate::server::AppState;
use crate::store::Store;
use crate::tlog::bundle::ProofBundle;
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::{Hash, leaf_hash};
use crate::tlog::note::NoteVerifier;
use crate::tlog::proof::verify_inclusion;

use self::auditor::*;
use self::official::*;
use self::server::*;
pub use keys::{LEDGER_KEY_FILE, LEDGER_VKEY_FILE, load_ledger_key};
pub use server::redact;

/// Default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE: &str = "sqlite://prasasti.db";

/// A progress bar on the terminal for long work (`what` names it), or
/// nothing when standard error is not a terminal. The bar is finished when
/// the work reaches its total.
fn progress_bar(what: &'static str) -> crate::ledger::verify::Progress {
    counted_bar(what, "entries")
}

/// Like [`progress_bar`], counting `unit`s.
fn counted_bar(what: &'static str, unit: &'static str) -> crate::ledger::verify::Progress {
    use indicatif::{ProgressBar, ProgressStyle};
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return crate::ledger::verify::Progress::none();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    crate::ledger::verify::Progress::to(move |done, total| {
        bar.set_length(total);
        bar.set_position(done);
        if done >= total {
            bar.finish_and_clear();
        }
    })
}

/// The ledger's database, for every command that opens it.
#[derive(clap::Args, Debug)]
pub struct DatabaseArg {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long = "database", env = "DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub url: String,
}

/// The directory of the ledger's key, for every command that uses it.
#[derive(clap::Args, Debug)]
pub struct KeysArg {
    /// Directory holding ledger.key.
    #[arg(long = "keys", default_value = "keys")]
    pub dir: PathBuf,
}

/// prasasti: a programme-continuity governance ledger.
#[derive(Parser, Debug)]
#[command(name = "prasasti", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the ledger's key pair (DIR/ledger.key, mode 0600, and DIR/ledger.vkey).
    Init {
        /// The ledger's origin: its unique name, such as karanganyar.go.id/prasasti.
        #[arg(long)]
        origin: String,
        /// Directory for the key files.
        #[arg(long, default_value = "keys")]
        keys: PathBuf,
    },
    /// Run a witness: cosign checkpoints of the logs it watches, never two histories.
    #[command(subcommand)]
    Witness(witness::WitnessCommand),
    /// Create an official's signing key pair (DIR/NAME.key and DIR/NAME.vkey).
    Keygen {
        /// Key name, such as the official's NIP or a short handle.
        #[arg(long)]
        name: String,
        /// Directory for the key files.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a statement (printing a DSSE envelope), or co-sign an envelope.
    /// Shows the statement first and asks before signing.
    Sign {
        /// The signer's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Refuse a statement for any ledger but this origin.
        #[arg(long)]
        ledger: Option<String>,
        /// Sign without asking (for scripts; without a terminal it is required).
        #[arg(long)]
        yes: bool,
        /// Instead of printing the envelope, open a draft with it on this
        /// server for the other offices to co-sign.
        #[arg(long, value_name = "SERVER")]
        draft: Option<String>,
        /// A statement JSON object, or an envelope to add a signature to.
        file: PathBuf,
    },
    /// Add your signature to a draft on a server (after showing it).
    Cosign {
        /// Server base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// The signer's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Sign without asking (for scripts).
        #[arg(long)]
        yes: bool,
        /// The draft's id.
        draft: String,
    },
    /// List the drafts concerning an office.
    Drafts {
        /// Server base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// Only drafts signed for, or waiting for, this office
        /// (`registrars` for the registrars).
        #[arg(long)]
        office: Option<String>,
        /// pending, submitted, expired or withdrawn.
        #[arg(long, default_value = "pending")]
        status: String,
    },
    /// Submit a signed envelope to a server.
    Submit {
        /// Server base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// Check the answer's checkpoint and inclusion proof with this verifier key file.
        #[arg(long)]
        vkey: Option<PathBuf>,
        /// The envelope file.
        file: PathBuf,
    },
    /// Run the HTTP server.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArg,
        /// The ledger key's directory.
        #[command(flatten)]
        keys: KeysArg,
        /// Create the ledger key first if there is none (needs --origin).
        #[arg(long)]
        init: bool,
        /// Origin for --init.
        #[arg(long)]
        origin: Option<String>,
        /// Fill an empty ledger with demonstration statements.
        #[arg(long)]
        demo: bool,
        /// With --demo: where to write the demo officials' key files.
        #[arg(long, default_value = "demo-keys")]
        demo_keys: PathBuf,
        /// Rewrite the governance projection from the entries when it does
        /// not match them (the server otherwise refuses to start).
        #[arg(long)]
        rebuild_projection: bool,
        /// The address the public reaches the site at, such as
        /// <https://prasasti.karanganyarkab.go.id> (for links in feeds).
        #[arg(long, env = "PRASASTI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Submissions one client address may make per minute (a minute's
        /// worth may come at once); 0 turns the budget off.
        #[arg(long, default_value_t = crate::server::limits::SUBMISSIONS_PER_MINUTE)]
        submissions_per_minute: u32,
        /// Days a draft at the signing desk waits for its co-signatures
        /// before it expires.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
        draft_days: u64,
        /// A witness policy (c2sp.org/tlog-policy): the server asks its
        /// witnesses to cosign and publishes only checkpoints its quorum
        /// cosigned. With --demo and no policy, two demo witnesses run in
        /// this process.
        #[arg(long)]
        witness_policy: Option<PathBuf>,
        /// Seconds between witnessing rounds (at most one round per interval,
        /// whatever the number of appends).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=3600))]
        witness_interval: u64,
    },
    /// Write the demonstration ledger (Kabupaten Karanganyar, fictional
    /// people, public demo keys) into an empty database.
    Demo {
        /// The database.
        #[command(flatten)]
        database: DatabaseArg,
        /// The ledger key's directory.
        #[command(flatten)]
        keys: KeysArg,
        /// Create the ledger key first with this origin if there is none.
        #[arg(long)]
        origin: Option<String>,
        /// Where to write the demo officials' key files.
        #[arg(long, default_value = "demo-keys")]
        demo_keys: PathBuf,
    },
    /// Print a fillable statement of TYPE, with this ledger's origin and a fresh id.
    Template {
        /// The statement type, such as commitment.make; `list` prints them all.
        #[arg(value_name = "TYPE")]
        statement_type: String,
        /// The ledger's origin.
        #[arg(long, conflicts_with = "server")]
        origin: Option<String>,
        /// Ask this server for the origin.
        #[arg(long)]
        server: Option<String>,
    },
    /// Bring the database schema up to date and exit.
    Migrate {
        /// The database.
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Audit the whole log (every entry, signature, the chain, the root and
    /// the checkpoint) and replay the governance rules over it.
    Verify {
        /// Where the log is read.
        #[command(flatten)]
        log: LogArgs,
        /// The keys trusted.
        #[command(flatten)]
        trust: TrustArgs,
        /// Where to remember the last trusted checkpoint.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Fail as well when an entry was signed with a key after the time
        /// it was declared compromised (by default such entries are listed
        /// as FLAGs and the audit passes: the rules let the key sign until
        /// its revocation was recorded).
        #[arg(long)]
        strict: bool,
    },
    /// The auditor's report: what happened between two checkpoints.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the whole log into DIR in the tlog-tiles layout, verifying it
    /// as it comes; a second run fetches only what is new.
    Mirror {
        /// The server to mirror.
        #[arg(long)]
        server: String,
        /// The keys trusted.
        #[command(flatten)]
        trust: TrustArgs,
        /// The mirror's directory (served as is by any static web server).
        #[arg(long)]
        out: PathBuf,
    },
    /// Follow a log and raise an alert on every new entry matching a watch
    /// rule, every rule violation, every milestone becoming overdue, and
    /// any inconsistency of the log.
    Monitor {
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
    },
    /// Write an entry's offline proof from a mirror, without any server:
    /// DIR/N.tlog-proof and DIR/N.entry for check-proof.
    Prove {
        /// The mirror (prasasti mirror --out).
        #[arg(long)]
        mirror: PathBuf,
        /// The entry's index.
        #[arg(long)]
        index: u64,
        /// Where to write the two files.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Check a c2sp.org/tlog-proof bundle for an entry, offline.
    CheckProof {
        /// The keys trusted.
        #[command(flatten)]
        trust: TrustArgs,
        /// The proof bundle file.
        #[arg(long)]
        proof: PathBuf,
        /// The entry: the answer of GET /api/v1/entries/{index}, the entry
        /// JSON, or its leaf bytes.
        entry: PathBuf,
    },
}

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
    async fn source(self) -> Result<Source> {
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

/// Runs a parsed command.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { origin, keys } => {
            let vkey = keys::init_ledger_keys(&origin, &keys)?;
            println!(
                "created {} (keep it secret) and {}",
                keys.join(LEDGER_KEY_FILE).display(),
                keys.join(LEDGER_VKEY_FILE).display()
            );
            println!("verifier key: {vkey}");
            Ok(())
        }
        Command::Witness(command) => witness::run(command).await,
        Command::Audit(AuditCommand::Report {
            log,
            trust,
            since,
            since_size,
            format,
            lang,
            out,
        }) => {
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
        Command::Keygen { name, out } => {
            let (vkey, keyid) = keys::keygen(&name, &out)?;
            println!(
                "created {} (keep it secret) and {}",
                out.join(format!("{name}.key")).display(),
                out.join(format!("{name}.vkey")).display()
            );
            println!("verifier key: {vkey}");
            println!("keyid (in envelopes): {keyid}");
            Ok(())
        }
        Command::Sign {
            key,
            ledger,
            yes,
            draft,
            file,
        } => {
            let envelope = sign(&key, ledger.as_deref(), yes, &file)?;
            match draft {
                Some(server) => drafts::open(&server, &envelope).await,
                None => {
                    println!("{}", serde_json::to_string_pretty(&envelope)?);
                    Ok(())
                }
            }
        }
        Command::Cosign {
            server,
            key,
            yes,
            draft,
        } => drafts::cosign(&server, &draft, &key, yes).await,
        Command::Drafts {
            server,
            office,
            status,
        } => drafts::list(&server, office.as_deref(), &status).await,
        Command::Submit { server, vkey, file } => submit(&server, vkey.as_deref(), &file).await,
        Command::Serve {
            listen,
            database,
            keys,
            init,
            origin,
            demo,
            demo_keys,
            rebuild_projection,
            public_url,
            submissions_per_minute,
            draft_days,
            witness_policy,
            witness_interval,
        } => {
            if let Some(url) = &public_url
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                bail!(
                    "--public-url must start with https:// (or http://), such as https://prasasti.karanganyarkab.go.id"
                );
            }
            let signer = ledger_key(&keys.dir, init, origin.as_deref())?;
            let config = crate::server::ServerConfig {
                limits: crate::server::Limits {
                    submissions_per_minute,
                    ..Default::default()
                },
                public_url,
                desk: crate::desk::DeskLimits {
                    draft_lifetime: std::time::Duration::from_secs(draft_days * 24 * 3600),
                    ..Default::default()
                },
            };
            let witnesses = match (witness_policy, demo) {
                (Some(path), _) => Witnesses::Policy(read_policy(&path)?),
                (None, true) => Witnesses::Demo(demo_witness_dir(&demo_keys)),
                (None, false) => Witnesses::None,
            };
            let app =
                open_app(&database.url, signer, rebuild_projection, config, witnesses).await?;
            serve(
                &listen,
                &database.url,
                app,
                demo.then_some(demo_keys.as_path()),
                std::time::Duration::from_secs(witness_interval),
            )
            .await
        }
        Command::Demo {
            database,
            keys,
            origin,
            demo_keys,
        } => demo(&database.url, &keys.dir, origin.as_deref(), &demo_keys).await,
        Command::Template {
            statement_type,
            origin,
            server,
        } => template(&statement_type, origin, server).await,
        Command::Migrate { database } => {
            Store::connect(&database.url)
                .await
                .with_context(|| format!("migrating {}", redact(&database.url)))?;
            println!("database {} is up to date", redact(&database.url));
            Ok(())
        }
        Command::Verify {
            log,
            trust,
            state,
            strict,
        } => {
            let (verifier, policy) = trust.read()?;
            let source = log.source().await?;
            verify_cmd(source, verifier, policy, state, strict).await
        }
        Command::Monitor {
            server,
            trust,
            watch,
            state,
            webhook,
            exec,
            interval,
            once,
        } => {
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
        Command::Prove { mirror, index, out } => {
            let (bundle, entry) = crate::auditor::mirror::prove(&mirror, index)?;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let (proof, leaf) = (
                out.join(format!("{index}.tlog-proof")),
                out.join(format!("{index}.entry")),
            );
            std::fs::write(&proof, bundle)
                .with_context(|| format!("writing {}", proof.display()))?;
            std::fs::write(&leaf, entry).with_context(|| format!("writing {}", leaf.display()))?;
            println!(
                "wrote {} and {}; check them with: prasasti check-proof --vkey <ledger.vkey> --proof {} {}",
                proof.display(),
                leaf.display(),
                proof.display(),
                leaf.display()
            );
            Ok(())
        }
        Command::Mirror { server, trust, out } => {
            let (verifier, policy) = trust.read()?;
            mirror_cmd(&server, verifier, policy, &out).await
        }
        Command::CheckProof {
            trust,
            proof,
            entry,
        } => {
            let (verifier, policy) = trust.read()?;
            check_proof(&verifier, policy.as_ref(), &proof, &entry)
        }
    }
}

/// Reads a witness policy file.
fn read_policy(path: &Path) -> Result<crate::tlog::policy::Policy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    crate::tlog::policy::Policy::parse(&text)
        .with_context(|| format!("{} is not a witness policy", path.display()))
}

impl TrustArgs {
    /// The log key and the witness policy: the key from `--vkey`, or from
    /// the policy's one `log` line.
    fn read(&self) -> Result<(NoteVerifier, Option<crate::tlog::policy::Policy>)> {
        trust(self.vkey.as_deref(), self.policy.as_deref())
    }
}

fn trust(
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

fn read_verifier(path: &Path) -> Result<NoteVerifier> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    NoteVerifier::parse(text.trim())
        .with_context(|| format!("{} is not a verifier key", path.display()))
}
