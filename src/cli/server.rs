//! For the operator: the ledger key, serving, the demonstration ledger.

use super::*;

pub(super) fn ledger_key(
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

/// Which witnesses a server asks.
pub(super) enum Witnesses {
    /// None: the published checkpoint is the newest signed one.
    None,
    /// The witnesses of this policy.
    Policy(crate::tlog::policy::Policy),
    /// The demo witnesses, started in this process with their databases
    /// in this directory.
    Demo(PathBuf),
}

/// Where `serve --demo` keeps its demo witnesses' databases: beside the
/// demo officials' keys.
pub(super) fn demo_witness_dir(demo_keys: &Path) -> PathBuf {
    demo_keys
        .parent()
        .unwrap_or(Path::new(""))
        .join("demo-witnesses")
}

pub(super) async fn open_app(
    database: &str,
    signer: crate::tlog::note::NoteSigner,
    rebuild_projection: bool,
    config: crate::server::ServerConfig,
    witnesses: Witnesses,
) -> Result<AppState> {
    let store = Store::connect(database)
        .await
        .with_context(|| format!("opening {}", redact(database)))?;
    let policy = match witnesses {
        Witnesses::None => None,
        Witnesses::Policy(policy) => Some(policy),
        Witnesses::Demo(dir) => Some(start_demo_witnesses(&store, &signer.verifier(), &dir).await?),
    };
    let witnesses = policy
        .map(crate::ledger::witnessing::Witnessing::new)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let governance = Governance::load_with(store.clone(), signer.name(), rebuild_projection)
        .await
        .context("loading the governance state")?;
    let options = crate::ledger::LedgerOptions {
        rules: Some(governance.rules()),
        witnesses,
    };
    let ledger = crate::ledger::Ledger::open_with(store, signer, options)
        .await
        .context("opening the ledger")?;
    Ok(AppState::with_config(ledger, governance, config))
}

/// Starts the demo witnesses on local ports, each remembering in its own
/// SQLite file in `dir`. The files are named after this database's
/// instance id, so a demo ledger written afresh (same key, a new history)
/// meets fresh witnesses rather than a fork alarm. The policy is also
/// written to `dir/witness-policy.txt`, for `prasasti verify --policy`.
async fn start_demo_witnesses(
    store: &Store,
    log: &NoteVerifier,
    dir: &Path,
) -> Result<crate::tlog::policy::Policy> {
    let mut fresh = [0u8; 6];
    getrandom::fill(&mut fresh).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let fresh = hex::encode(fresh);
    let instance = store.meta_or_insert("instance", &fresh).await?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut urls = Vec::new();
    for (name, cosigner) in crate::witness::demo::cosigners() {
        let path = dir.join(format!("{name}-{instance}.db"));
        let url = format!("sqlite://{}", path.display());
        let witness_store = Store::connect(&url)
            .await
            .with_context(|| format!("opening the demo witness database {}", path.display()))?;
        let witness = crate::witness::Witness::new(cosigner, vec![log.clone()], witness_store);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        urls.push(format!("http://{}", listener.local_addr()?));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, witness.router()).await {
                tracing::error!(error = %e, "a demo witness stopped");
            }
        });
    }
    let text = crate::witness::demo::policy(&log.to_vkey_string(), &urls);
    let policy_file = dir.join("witness-policy.txt");
    std::fs::write(&policy_file, &text)
        .with_context(|| format!("writing {}", policy_file.display()))?;
    Ok(crate::tlog::policy::Policy::parse(&text)?)
}

pub(super) async fn write_demo(app: &AppState, demo_keys: &Path) -> Result<()> {
    let written = crate::governance::demo::write(&app.ledger, &progress_bar("writing"))
        .await
        .context("writing the demonstration ledger")?;
    if written > 0 {
        println!(
            "wrote the demonstration ledger: {written} entries (fictional people, public demo keys)"
        );
    }
    let keys = super::keys::write_demo_keys(app.ledger.origin(), demo_keys)?;
    if keys > 0 {
        println!(
            "wrote {keys} demo officials' key files into {} (public demo keys, for trying the signing desk at /meja)",
            demo_keys.display()
        );
    }
    Ok(())
}

pub(super) async fn demo(
    database: &str,
    keys_dir: &Path,
    origin: Option<&str>,
    demo_keys: &Path,
) -> Result<()> {
    let signer = ledger_key(keys_dir, origin.is_some(), origin)?;
    let app = open_app(database, signer, false, Default::default(), Witnesses::None).await?;
    if app.ledger.latest_checkpoint().await?.tree_size > 0 {
        bail!(
            "{} already holds a ledger; the demonstration goes into an empty database only",
            redact(database)
        );
    }
    write_demo(&app, demo_keys).await
}

pub(super) async fn serve(
    listen: &str,
    database: &str,
    app: AppState,
    demo: Option<&Path>,
    witness_interval: std::time::Duration,
) -> Result<()> {
    if let Some(demo_keys) = demo {
        write_demo(&app, demo_keys).await?;
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
    if let Some(witnessing) = ledger.witnessing() {
        let names: Vec<&str> = witnessing
            .policy()
            .witnesses
            .iter()
            .map(|w| w.name.as_str())
            .collect();
        println!(
            "  witnesses: {} (only checkpoints the policy's quorum cosigned are published)",
            names.join(", ")
        );
        if demo.is_some() {
            println!("  (DEMO witnesses in this process, with public keys)");
        }
        crate::ledger::witnessing::spawn(ledger, witness_interval);
    }
    crate::server::serve(listener, app, shutdown_signal()).await?;
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

pub(super) async fn shutdown_signal() {
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

/// `prasasti serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
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
}

impl ServeArgs {
    /// Runs the command.
    pub(super) async fn run(self) -> Result<()> {
        let ServeArgs {
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
        } = self;
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
        let app = open_app(&database.url, signer, rebuild_projection, config, witnesses).await?;
        serve(
            &listen,
            &database.url,
            app,
            demo.then_some(demo_keys.as_path()),
            std::time::Duration::from_secs(witness_interval),
        )
        .await
    }
}
