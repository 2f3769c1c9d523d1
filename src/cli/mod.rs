//! The command line: argument definitions and one function per command.
//! `main.rs` only parses and calls [`run`].

mod auditor;
mod drafts;
mod keys;
mod official;
mod server;
mod trust;
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
use self::trust::*;
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
    Serve(ServeArgs),
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
    Monitor(MonitorArgs),
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
        Command::Audit(command) => command.run().await,
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
        Command::Serve(args) => args.run().await,
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
        Command::Monitor(args) => args.run().await,
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
