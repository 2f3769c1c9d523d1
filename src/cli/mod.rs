//! The command line: argument definitions and one function per command.
//! `main.rs` only parses and calls [`run`].

mod keys;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::Value;

use crate::api::AppState;
use crate::governance::Governance;
use crate::governance::audit::{self, StateCheck};
use crate::ledger::statement::{self, Envelope};
use crate::ledger::verify::{self, Source};
use crate::store::Store;
use crate::tlog::bundle::ProofBundle;
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::{Hash, leaf_hash};
use crate::tlog::note::NoteVerifier;
use crate::tlog::proof::verify_inclusion;

pub use keys::{LEDGER_KEY_FILE, LEDGER_VKEY_FILE, load_ledger_key};

/// Default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE: &str = "sqlite://prasasti.db";

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
        /// A statement JSON object, or an envelope to add a signature to.
        file: PathBuf,
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
        /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE)]
        database: String,
        /// Directory holding ledger.key.
        #[arg(long, default_value = "keys")]
        keys: PathBuf,
        /// Create the ledger key first if there is none (needs --origin).
        #[arg(long)]
        init: bool,
        /// Origin for --init.
        #[arg(long)]
        origin: Option<String>,
        /// Fill an empty ledger with demonstration statements.
        #[arg(long)]
        demo: bool,
        /// Rewrite the governance projection from the entries when it does
        /// not match them (the server otherwise refuses to start).
        #[arg(long)]
        rebuild_projection: bool,
        /// The address the public reaches the site at, such as
        /// https://prasasti.karanganyarkab.go.id (for links in feeds).
        #[arg(long, env = "PRASASTI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Submissions one client address may make per minute (a minute's
        /// worth may come at once); 0 turns the budget off.
        #[arg(long, default_value_t = crate::api::limits::SUBMISSIONS_PER_MINUTE)]
        submissions_per_minute: u32,
    },
    /// Write the demonstration ledger (Kabupaten Karanganyar, fictional
    /// people, public demo keys) into an empty database.
    Demo {
        /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE)]
        database: String,
        /// Directory holding ledger.key.
        #[arg(long, default_value = "keys")]
        keys: PathBuf,
        /// Create the ledger key first with this origin if there is none.
        #[arg(long)]
        origin: Option<String>,
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
        /// Database URL.
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE)]
        database: String,
    },
    /// Audit the whole log (every entry, signature, the chain, the root and
    /// the checkpoint) and replay the governance rules over it.
    Verify {
        /// Read the log from this server.
        #[arg(
            long,
            conflicts_with = "database",
            required_unless_present = "database"
        )]
        server: Option<String>,
        /// Read the log from this database.
        #[arg(long)]
        database: Option<String>,
        /// The ledger's verifier key file (ledger.vkey).
        #[arg(long)]
        vkey: PathBuf,
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
    /// Check a c2sp.org/tlog-proof bundle for an entry, offline.
    CheckProof {
        /// The ledger's verifier key file.
        #[arg(long)]
        vkey: PathBuf,
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
            file,
        } => sign(&key, ledger.as_deref(), yes, &file),
        Command::Submit { server, vkey, file } => submit(&server, vkey.as_deref(), &file).await,
        Command::Serve {
            listen,
            database,
            keys,
            init,
            origin,
            demo,
            rebuild_projection,
            public_url,
            submissions_per_minute,
        } => {
            if let Some(url) = &public_url
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                bail!(
                    "--public-url must start with https:// (or http://), such as https://prasasti.karanganyarkab.go.id"
                );
            }
            let signer = ledger_key(&keys, init, origin.as_deref())?;
            let mut app = open_app(&database, signer, rebuild_projection).await?;
            app.config = std::sync::Arc::new(crate::api::ServerConfig {
                limits: crate::api::Limits {
                    submissions_per_minute,
                    ..Default::default()
                },
                public_url,
            });
            serve(&listen, &database, app, demo).await
        }
        Command::Demo {
            database,
            keys,
            origin,
        } => demo(&database, &keys, origin.as_deref()).await,
        Command::Template {
            statement_type,
            origin,
            server,
        } => template(&statement_type, origin, server).await,
        Command::Migrate { database } => {
            Store::connect(&database)
                .await
                .with_context(|| format!("migrating {}", redact(&database)))?;
            println!("database {} is up to date", redact(&database));
            Ok(())
        }
        Command::Verify {
            server,
            database,
            vkey,
            state,
            strict,
        } => verify_cmd(server, database, &vkey, state, strict).await,
        Command::CheckProof { vkey, proof, entry } => check_proof(&vkey, &proof, &entry),
    }
}

/// A server refusal as a sentence the official can act on.
fn refusal_sentence(status: u16, code: &str, message: &str) -> String {
    let what_to_do = match code {
        "unauthorized_signer" => {
            "Have the holder of the office named above co-sign the envelope (prasasti sign --key THEIR.key envelope.json > signed.json) and submit it again; if they did sign, their mandate may have ended or their key been revoked."
        }
        "invalid_statement" => {
            "Correct the field named above in the statement, sign it again and submit the new envelope."
        }
        "statement_id_conflict" => {
            "That statement id is taken by a different statement: give yours a fresh id (prasasti template prints one), sign it and submit again."
        }
        "invalid_signature" | "duplicate_key" | "non_canonical_payload" => {
            "Sign the statement again with prasasti sign; do not edit an envelope after signing."
        }
        "wrong_ledger" => {
            "Set the statement's ledger field to this ledger's origin (prasasti template prints it)."
        }
        _ => "",
    };
    let mut sentence =
        format!("the ledger refused the statement: {message} (HTTP {status}, {code})");
    if !what_to_do.is_empty() {
        sentence.push('\n');
        sentence.push_str(what_to_do);
    }
    sentence
}

fn read_verifier(path: &Path) -> Result<NoteVerifier> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    NoteVerifier::parse(text.trim())
        .with_context(|| format!("{} is not a verifier key", path.display()))
}

fn sign(key_path: &Path, ledger: Option<&str>, yes: bool, file: &Path) -> Result<()> {
    let signer = keys::load_signing_key(key_path)?;
    let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let value: Value =
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let Value::Object(object) = value else {
        bail!(
            "{} must hold a JSON object: a statement or an envelope",
            file.display()
        );
    };
    let keyid = statement::keyid_of(&signer.signing_key().verifying_key());
    // What is about to be signed, decoded: co-signers see exactly the
    // statement the first signer signed.
    let (existing, statement) = if object.contains_key("payloadType") {
        let envelope: Envelope = serde_json::from_value(Value::Object(object))
            .with_context(|| format!("{} is not a DSSE envelope", file.display()))?;
        if envelope.payload_type != statement::PAYLOAD_TYPE {
            bail!(
                "the envelope's payloadType is {:?}, not a prasasti statement ({}); refusing to sign it",
                envelope.payload_type,
                statement::PAYLOAD_TYPE
            );
        }
        let payload = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            envelope.payload.as_bytes(),
        )
        .context("the envelope's payload is not base64")?;
        let Ok(Value::Object(statement)) = serde_json::from_slice(&payload) else {
            bail!("the envelope's payload is not a JSON object");
        };
        if statement::canonical_json(&statement) != payload {
            bail!(
                "the envelope's payload is not in canonical form; it was not made by prasasti sign"
            );
        }
        (Some(envelope), statement)
    } else {
        (None, object)
    };
    for field in ["type", "id", "ledger"] {
        if !statement.get(field).is_some_and(Value::is_string) {
            bail!("the statement needs a string field {field:?}");
        }
    }
    let origin = statement["ledger"].as_str().unwrap_or_default();
    if let Some(expected) = ledger
        && origin != expected
    {
        bail!("the statement is for ledger {origin:?}, not {expected:?}; refusing to sign it");
    }
    if let Some(envelope) = &existing
        && envelope.signatures.iter().any(|s| s.keyid == keyid)
    {
        eprintln!("this key has already signed the envelope; nothing to add");
    }
    eprint!(
        "{}",
        describe_for_signing(&statement, existing.as_ref(), signer.name(), &keyid)
    );
    if !yes {
        confirm("Sign this statement?")?;
    }
    let envelope = match existing {
        Some(mut envelope) => {
            statement::cosign(&mut envelope, signer.signing_key())?;
            envelope
        }
        None => statement::seal(&statement, signer.signing_key()),
    };
    println!("{}", serde_json::to_string_pretty(&envelope)?);
    Ok(())
}

/// The statement as a signer should read it before signing.
fn describe_for_signing(
    statement: &serde_json::Map<String, Value>,
    envelope: Option<&Envelope>,
    key_name: &str,
    keyid: &str,
) -> String {
    let field = |name: &str| statement[name].as_str().unwrap_or_default().to_owned();
    let mut rest = statement.clone();
    for name in ["type", "id", "ledger"] {
        rest.remove(name);
    }
    let mut out = format!(
        "You are about to sign, with key {key_name} ({}…):\n  ledger: {}\n  type:   {}\n  id:     {}\n",
        &keyid[..16],
        field("ledger"),
        field("type"),
        field("id"),
    );
    for line in serde_json::to_string_pretty(&Value::Object(rest))
        .unwrap_or_default()
        .lines()
    {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    let digest = crate::tlog::hash::sha256(&statement::canonical_json(statement));
    out.push_str(&format!(
        "  SHA-256 of the statement: {}\n",
        digest.to_hex()
    ));
    match envelope {
        Some(e) => {
            let signers: Vec<String> = e
                .signatures
                .iter()
                .map(|s| format!("{}…", &s.keyid.get(..16).unwrap_or(&s.keyid)))
                .collect();
            out.push_str(&format!("  already signed by: {}\n", signers.join(", ")));
        }
        None => out.push_str("  nobody has signed it yet\n"),
    }
    out
}

/// Asks a yes/no question on the terminal; without a terminal, refuses.
fn confirm(question: &str) -> Result<()> {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    if !std::io::stdin().is_terminal() {
        bail!(
            "not signing without confirmation: there is no terminal to ask on; add --yes to sign from a script"
        );
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "ya" | "Ya") {
        Ok(())
    } else {
        bail!("not signed")
    }
}

async fn submit(server: &str, vkey: Option<&Path>, file: &Path) -> Result<()> {
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let submitted: Envelope = serde_json::from_slice(&body)
        .with_context(|| format!("{} is not a DSSE envelope", file.display()))?;
    let url = format!("{}/api/v1/entries", server.trim_end_matches('/'));
    let response = verify::http_client()?
        .post(&url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .with_context(|| format!("sending to {url}"))?;
    let status = response.status();
    let answer: Value = response
        .json()
        .await
        .with_context(|| format!("reading the answer of {url}"))?;
    if !status.is_success() {
        let code = answer["error"]["code"].as_str().unwrap_or("unknown");
        let message = answer["error"]["message"].as_str().unwrap_or("");
        bail!("{}", refusal_sentence(status.as_u16(), code, message));
    }
    let index = answer["index"]
        .as_u64()
        .context("the answer has no index")?;
    if let Some(vkey) = vkey {
        let verifier = read_verifier(vkey)?;
        check_submission(&answer, index, &submitted, &verifier)?;
        println!(
            "verified: entry {index} holds this envelope and is in the log signed by {}",
            verifier.name()
        );
    }
    let word = if status.as_u16() == 201 {
        "appended"
    } else {
        "already present"
    };
    println!(
        "{word}: entry {index}, leaf hash {}",
        answer["leaf_hash"].as_str().unwrap_or("")
    );
    Ok(())
}

/// Checks a server's answer to a submission: the entry it returns holds the
/// very envelope submitted, at the index it names, and the checkpoint signed
/// by the log key includes it. A server that dropped the statement cannot
/// pass another entry's valid proof off as this one's.
fn check_submission(
    answer: &Value,
    index: u64,
    submitted: &Envelope,
    verifier: &NoteVerifier,
) -> Result<()> {
    let entry: crate::ledger::entry::Entry = serde_json::from_value(answer["entry"].clone())
        .context("the answer's entry is not an entry")?;
    if entry.envelope != *submitted {
        bail!(
            "the server answered with entry {} holding another statement ({}), not the envelope submitted: the server may have dropped it",
            entry.index,
            statement_label(&entry.envelope)
        );
    }
    if entry.index != index {
        bail!(
            "the server says the statement is entry {index}, but the entry it returned is entry {}",
            entry.index
        );
    }
    let note = answer["checkpoint"]
        .as_str()
        .context("the answer has no checkpoint")?;
    let checkpoint =
        Checkpoint::open(note, verifier).context("the checkpoint in the answer is not valid")?;
    let proof = answer["inclusion_proof"]
        .as_array()
        .context("the answer has no inclusion proof")?
        .iter()
        .map(|h| h.as_str().and_then(|s| Hash::from_base64(s).ok()))
        .collect::<Option<Vec<_>>>()
        .context("the inclusion proof is malformed")?;
    verify_inclusion(
        index,
        checkpoint.size,
        &leaf_hash(&entry.to_bytes()),
        &proof,
        &checkpoint.root,
    )
    .context("the inclusion proof in the answer does not verify")?;
    Ok(())
}

/// `type id` of an envelope's statement, for messages.
fn statement_label(envelope: &Envelope) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(envelope.payload.as_bytes())
        .ok()
        .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
        .map(|s| {
            format!(
                "{} {}",
                s["type"].as_str().unwrap_or("?"),
                s["id"].as_str().unwrap_or("?")
            )
        })
        .unwrap_or_else(|| "unreadable".into())
}

fn ledger_key(
    keys_dir: &Path,
    init: bool,
    origin: Option<&str>,
) -> Result<crate::tlog::note::NoteSigner> {
    let key_path = keys_dir.join(LEDGER_KEY_FILE);
    if !key_path.exists() {
        match (init, origin) {
            (true, Some(origin)) => {
                let vkey = keys::init_ledger_keys(origin, keys_dir)?;
                println!(
                    "created the ledger key {}; verifier key: {vkey}",
                    key_path.display()
                );
            }
            (true, None) => bail!(
                "--init needs --origin, the ledger's unique name, such as karanganyar.go.id/prasasti"
            ),
            (false, _) => bail!(
                "there is no ledger key at {}. Create one with\n  prasasti init --origin <name> --keys {}\nor start with --init --origin <name>",
                key_path.display(),
                keys_dir.display()
            ),
        }
    }
    load_ledger_key(&key_path)
}

async fn open_app(
    database: &str,
    signer: crate::tlog::note::NoteSigner,
    rebuild_projection: bool,
) -> Result<AppState> {
    let store = Store::connect(database)
        .await
        .with_context(|| format!("opening {}", redact(database)))?;
    let governance = Governance::load_with(store.clone(), signer.name(), rebuild_projection)
        .await
        .context("loading the governance state")?;
    let ledger = crate::ledger::Ledger::open_with_rules(store, signer, Some(governance.rules()))
        .await
        .context("opening the ledger")?;
    Ok(AppState::new(ledger, governance))
}

async fn write_demo(app: &AppState) -> Result<()> {
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let written = crate::governance::demo::write(&app.ledger, progress)
        .await
        .context("writing the demonstration ledger")?;
    if written > 0 {
        println!(
            "wrote the demonstration ledger: {written} entries (fictional people, public demo keys)"
        );
    }
    Ok(())
}

async fn demo(database: &str, keys_dir: &Path, origin: Option<&str>) -> Result<()> {
    let signer = ledger_key(keys_dir, origin.is_some(), origin)?;
    let app = open_app(database, signer, false).await?;
    if app.ledger.latest_checkpoint().await?.tree_size > 0 {
        bail!(
            "{} already holds a ledger; the demonstration goes into an empty database only",
            redact(database)
        );
    }
    write_demo(&app).await
}

async fn serve(listen: &str, database: &str, app: AppState, demo: bool) -> Result<()> {
    if demo {
        write_demo(&app).await?;
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr()?;
    let ledger = &app.ledger;
    let checkpoint = ledger.latest_checkpoint().await?;
    println!(
        "prasasti serving ledger {} on http://{address}",
        ledger.origin()
    );
    println!("  site:     http://{address}/ (add ?lang=en for English)");
    println!("  database: {}", redact(database));
    println!("  entries:  {}", checkpoint.tree_size);
    println!("  verifier key: {}", ledger.verifier().to_vkey_string());
    crate::api::serve(listener, app, shutdown_signal()).await?;
    Ok(())
}

/// A database URL fit to print: any password replaced by `***`.
pub fn redact(database: &str) -> String {
    let Some((scheme, rest)) = database.split_once("://") else {
        return database.to_owned();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return database.to_owned();
    };
    let user = userinfo.split(':').next().unwrap_or("");
    let password = if userinfo.contains(':') { ":***" } else { "" };
    let slash = if rest.contains('/') { "/" } else { "" };
    format!("{scheme}://{user}{password}@{host}{slash}{path}")
}

async fn template(
    statement_type: &str,
    origin: Option<String>,
    server: Option<String>,
) -> Result<()> {
    use crate::governance::template;
    if statement_type == "list" {
        for t in template::types() {
            println!("{t}");
        }
        return Ok(());
    }
    if !template::types().contains(&statement_type) {
        bail!(
            "there is no statement type {statement_type:?}; the types are:\n  {}",
            template::types().join("\n  ")
        );
    }
    let origin = match origin {
        Some(origin) => origin,
        None => {
            let base = server.unwrap_or_else(|| "http://127.0.0.1:8080".into());
            let url = format!("{}/api/v1/log", base.trim_end_matches('/'));
            let body = verify::http_get(&url).await.with_context(|| {
                format!("asking {base} for the ledger's origin (or give --origin)")
            })?;
            let log: Value =
                serde_json::from_slice(&body).with_context(|| format!("reading {url}"))?;
            log["origin"]
                .as_str()
                .context("the server did not say its origin")?
                .to_owned()
        }
    };
    let statement = template::template(statement_type, &origin).context("no template")?;
    println!("{}", serde_json::to_string_pretty(&statement)?);
    eprintln!(
        "fill in every <…>, remove optional fields you do not use, then: prasasti sign --key YOUR.key FILE > envelope.json"
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

fn default_state_file(origin: &str) -> Option<PathBuf> {
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

async fn verify_cmd(
    server: Option<String>,
    database: Option<String>,
    vkey: &Path,
    state: Option<PathBuf>,
    strict: bool,
) -> Result<()> {
    let verifier = read_verifier(vkey)?;
    let source = match (server, database) {
        (Some(server), _) => Source::Server {
            base: server.trim_end_matches('/').to_owned(),
        },
        (None, Some(database)) => Source::Database(
            Store::open(&database)
                .await
                .with_context(|| format!("opening {}", redact(&database)))?,
        ),
        (None, None) => bail!("give --server URL or --database URL"),
    };
    let state_file = state.or_else(|| default_state_file(verifier.name()));
    let options = verify::Options {
        verifier: verifier.clone(),
        state_file: state_file.clone(),
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
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

fn check_proof(vkey: &Path, proof: &Path, entry: &Path) -> Result<()> {
    let verifier = read_verifier(vkey)?;
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
    let checkpoint = bundle.verify(&leaf, &verifier)?;
    println!(
        "OK: the entry is entry {} of the log of {} entries signed by {}",
        bundle.index,
        checkpoint.size,
        verifier.name()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn database_passwords_are_never_printed() {
        assert_eq!(
            redact("postgres://prasasti:s3cret@db.internal:5432/ledger"),
            "postgres://prasasti:***@db.internal:5432/ledger"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/postgres"),
            "postgres://postgres@127.0.0.1/postgres"
        );
        assert_eq!(redact("sqlite://prasasti.db"), "sqlite://prasasti.db");
        assert_eq!(redact("postgres://u:p@h"), "postgres://u:***@h");
    }
}
