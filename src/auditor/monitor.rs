//! `prasasti monitor`: follows a log and raises an alert on every new
//! entry that matches a watch rule, on every rule violation, on a milestone
//! becoming overdue, and on any inconsistency of the log itself.
//!
//! Each poll reads the published checkpoint, checks its signature (and
//! witnesses, with a policy), reads only the entries it has not seen,
//! rebuilds the tree from them (so a rewritten history cannot hide behind
//! a valid signature), replays the governance rules, and then records the
//! checkpoint in its state file: after a restart it goes on from there and
//! never reports an entry twice.
//!
//! The watch file has one rule a line, `#` starting a comment:
//!
//! ```text
//! key <hex keyid>        # a statement signed with this key
//! office <id>            # a statement concerning this office
//! programme <id>         # a statement concerning this programme
//! type <statement type>  # every statement of this type
//! overdue                # a milestone becoming overdue
//! ```

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::governance::State;
use crate::governance::model::StatementType;
use crate::ledger::entry::Entry;
use crate::ledger::statement::{VerifiedEnvelope, keyid_of};
use crate::ledger::verify::{Source, VerifyError};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::{CompactRange, leaf_hash};
use crate::tlog::note::NoteVerifier;
use crate::tlog::policy::Policy;
use crate::tlog::tile::{self, TILE_WIDTH, Tile, TileKind};

/// One watch rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Statements signed with this key (hex keyid).
    Key(String),
    /// Statements concerning this office.
    Office(String),
    /// Statements concerning this programme.
    Programme(String),
    /// Statements of this type.
    Type(StatementType),
    /// Milestones becoming overdue.
    Overdue,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::Key(k) => write!(f, "key {k}"),
            Rule::Office(o) => write!(f, "office {o}"),
            Rule::Programme(p) => write!(f, "programme {p}"),
            Rule::Type(t) => write!(f, "type {}", t.as_str()),
            Rule::Overdue => f.write_str("overdue"),
        }
    }
}

/// Reads a watch file; a bad line is refused with its number.
pub fn parse_watch(text: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let words = crate::tlog::policy::line_words(line);
        let bad = |why: &str| format!("watch line {}: {why}", number + 1);
        let rule = match words.as_slice() {
            [] => continue,
            ["key", k] => {
                if k.len() != 64 || !k.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad("a keyid is 64 hex digits"));
                }
                Rule::Key(k.to_ascii_lowercase())
            }
            ["office", id] => Rule::Office((*id).to_owned()),
            ["programme", id] => Rule::Programme((*id).to_owned()),
            ["type", t] => Rule::Type(
                t.parse()
                    .map_err(|_| bad(&format!("{t} is not a statement type")))?,
            ),
            ["overdue"] => Rule::Overdue,
            _ => {
                return Err(bad(
                    "a rule is key <keyid>, office <id>, programme <id>, type <type> or overdue",
                ));
            }
        };
        rules.push(rule);
    }
    if rules.is_empty() {
        return Err("the watch file has no rule".into());
    }
    Ok(rules)
}

/// An alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// `match`, `violation`, `overdue` or `inconsistency`.
    pub alert: &'static str,
    /// The log.
    pub log: String,
    /// The entry, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Its leaf hash, base64 (as the API gives it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_hash: Option<String>,
    /// Its statement type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub statement_type: Option<String>,
    /// Its statement id (for `overdue`: the milestone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The watch rules it matched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// What happened, in a sentence.
    pub message: String,
}

impl Alert {
    /// The alert as one line of text.
    pub fn line(&self) -> String {
        let at = self.index.map(|i| format!(" #{i}")).unwrap_or_default();
        format!("ALERT {}{at}: {}", self.alert, self.message)
    }
}

/// What the monitor remembers between runs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Saved {
    /// The last checkpoint checked and reported on.
    checkpoint: String,
    /// Milestones already reported overdue.
    overdue: BTreeSet<String>,
}

/// How to monitor.
#[derive(Clone, Debug)]
pub struct MonitorOptions {
    /// The server.
    pub server: String,
    /// The log's key.
    pub verifier: NoteVerifier,
    /// The witness policy, if any.
    pub policy: Option<Policy>,
    /// The watch rules.
    pub rules: Vec<Rule>,
    /// Where to remember the last checkpoint reported on.
    pub state_file: PathBuf,
}

/// A monitor: the log as far as it has read it.
pub struct Monitor {
    options: MonitorOptions,
    source: Source,
    saved: Option<Saved>,
    /// Entries read, their tree and the governance state after them.
    range: CompactRange,
    state: State,
    /// Alerts are raised for entries from this index on.
    report_from: Option<u64>,
    /// The last inconsistent checkpoint reported, not to repeat it.
    reported_inconsistency: Option<String>,
}

impl Monitor {
    /// A monitor resuming from its state file, if it has one.
    pub fn new(options: MonitorOptions) -> Result<Monitor, VerifyError> {
        let saved = match std::fs::read_to_string(&options.state_file) {
            Ok(text) => {
                Some(
                    serde_json::from_str::<Saved>(&text).map_err(|e| VerifyError::State {
                        path: options.state_file.clone(),
                        problem: e.to_string(),
                    })?,
                )
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(VerifyError::State {
                    path: options.state_file.clone(),
                    problem: e.to_string(),
                });
            }
        };
        let source = Source::Server {
            base: options.server.trim_end_matches('/').to_owned(),
        };
        Ok(Monitor {
            options,
            source,
            saved,
            range: CompactRange::default(),
            state: State::default(),
            report_from: None,
            reported_inconsistency: None,
        })
    }

    /// One poll: the alerts it raises. An error is a failure to read the
    /// log (the server down): nothing is recorded and the next poll tries
    /// again.
    pub async fn poll(&mut self) -> Result<Vec<Alert>, VerifyError> {
        let verifier = self.options.verifier.clone();
        let origin = verifier.name().to_owned();
        let note = String::from_utf8(self.source.read("checkpoint").await?)
            .map_err(|_| VerifyError::Checkpoint("not UTF-8".into()))?;
        let opened = Checkpoint::open(&note, &verifier)
            .map_err(|e| format!("the checkpoint is not validly signed by the log: {e}"));
        let witnessed = match (&opened, &self.options.policy) {
            (Ok(_), Some(policy)) => {
                let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
                policy
                    .check(&note, &verifier, now)
                    .map(|_| ())
                    .map_err(|e| {
                        format!("the checkpoint is not witnessed as the policy requires: {e}")
                    })
            }
            _ => Ok(()),
        };
        let checkpoint = match opened.and_then(|c| witnessed.map(|()| c)) {
            Ok(c) => c,
            Err(problem) => return Ok(self.inconsistency(&note, problem)),
        };
        let trusted = match &self.saved {
            Some(saved) => Some(Checkpoint::open(&saved.checkpoint, &verifier).map_err(|e| {
                VerifyError::State {
                    path: self.options.state_file.clone(),
                    problem: format!("not a checkpoint of this log: {e}"),
                }
            })?),
            None => None,
        };
        let floor = trusted
            .as_ref()
            .map_or(self.range.size(), |t| t.size.max(self.range.size()));
        if checkpoint.size < floor {
            let problem = format!(
                "the log was rolled back: it has {} entries, {floor} were seen before",
                checkpoint.size
            );
            return Ok(self.inconsistency(&note, problem));
        }
        // First run: report from the head on; later: from what was saved.
        let report_from = *self
            .report_from
            .get_or_insert(trusted.as_ref().map_or(checkpoint.size, |t| t.size));

        let mut alerts = Vec::new();
        let mut range = self.range.clone();
        let mut state = self.state.clone();
        let mut index = range.size();
        while index < checkpoint.size {
            let bundle = Tile {
                kind: TileKind::Entries,
                index: index / TILE_WIDTH,
                width: (checkpoint.size - index / TILE_WIDTH * TILE_WIDTH).min(TILE_WIDTH) as u16,
            };
            let bodies = tile::decode_entry_bundle(&self.source.read(&bundle.to_string()).await?)
                .map_err(|e| VerifyError::Fetch(format!("{bundle}: {e}")))?;
            let first = bundle.node_range().start;
            for body in bodies.iter().skip((index - first) as usize) {
                let leaf = leaf_hash(body);
                range.push(leaf);
                if let Some(t) = &trusted
                    && range.size() == t.size
                    && range.root() != t.root
                {
                    let problem = format!(
                        "the log was rewritten: its first {} entries no longer give the root seen before",
                        t.size
                    );
                    return Ok(self.inconsistency(&note, problem));
                }
                let entry = Entry::parse(body).ok();
                let envelope = entry
                    .as_ref()
                    .and_then(|e| VerifiedEnvelope::check(e.envelope.clone(), &origin).ok());
                let report = index >= report_from;
                let (Some(entry), Some(envelope)) = (entry, envelope) else {
                    if report {
                        alerts.push(Alert {
                            alert: "violation",
                            log: origin.clone(),
                            index: Some(index),
                            leaf_hash: Some(leaf.to_base64()),
                            statement_type: None,
                            id: None,
                            rules: Vec::new(),
                            message: format!(
                                "entry #{index} is not a valid signed entry of this log"
                            ),
                        });
                    }
                    index += 1;
                    continue;
                };
                let applied = state.apply(&entry, &envelope);
                if report {
                    alerts.extend(self.judge(index, &leaf.to_base64(), &envelope, &state, applied));
                }
                index += 1;
            }
        }
        if range.root() != checkpoint.root {
            let problem = format!(
                "the entries served do not give the checkpoint's root for {} entries",
                checkpoint.size
            );
            return Ok(self.inconsistency(&note, problem));
        }
        let mut overdue = self
            .saved
            .as_ref()
            .map(|s| s.overdue.clone())
            .unwrap_or_default();
        let first_run = self.saved.is_none();
        if self.options.rules.contains(&Rule::Overdue) {
            for id in state.overdue_milestones(chrono::Utc::now()) {
                if overdue.insert(id.clone()) && !first_run {
                    alerts.push(Alert {
                        alert: "overdue",
                        log: origin.clone(),
                        index: None,
                        leaf_hash: None,
                        statement_type: None,
                        id: Some(id.clone()),
                        rules: vec![Rule::Overdue.to_string()],
                        message: format!("milestone {id} is overdue"),
                    });
                }
            }
        }
        let saved = Saved {
            checkpoint: note,
            overdue,
        };
        save(&self.options.state_file, &saved)?;
        self.saved = Some(saved);
        self.range = range;
        self.state = state;
        self.reported_inconsistency = None;
        Ok(alerts)
    }

    /// The alerts for one new entry: the rules it matches, and a rule
    /// violation.
    fn judge(
        &self,
        index: u64,
        leaf: &str,
        envelope: &VerifiedEnvelope,
        state: &State,
        applied: Result<crate::governance::apply::Touched, crate::ledger::rules::Refusal>,
    ) -> Vec<Alert> {
        let statement_type = envelope.statement_type().to_owned();
        let id = envelope.statement_id().to_owned();
        let alert = |kind: &'static str, rules: Vec<String>, message: String| Alert {
            alert: kind,
            log: self.options.verifier.name().to_owned(),
            index: Some(index),
            leaf_hash: Some(leaf.to_owned()),
            statement_type: Some(statement_type.clone()),
            id: Some(id.clone()),
            rules,
            message,
        };
        let mut alerts = Vec::new();
        let (offices, programmes) = match &applied {
            Ok(touched) => concerns(state, index, touched),
            Err(_) => Default::default(),
        };
        let signers: BTreeSet<String> = envelope.signers().iter().map(keyid_of).collect();
        let matched: Vec<String> = self
            .options
            .rules
            .iter()
            .filter(|rule| match rule {
                Rule::Key(k) => signers.contains(k),
                Rule::Office(o) => offices.contains(o),
                Rule::Programme(p) => programmes.contains(p),
                Rule::Type(t) => t.as_str() == statement_type,
                Rule::Overdue => false,
            })
            .map(Rule::to_string)
            .collect();
        if !matched.is_empty() {
            let message = format!("{statement_type} {id} matches {}", matched.join(", "));
            alerts.push(alert("match", matched, message));
        }
        if let Err(refusal) = applied {
            alerts.push(alert(
                "violation",
                Vec::new(),
                format!(
                    "{statement_type} {id} breaks a rule: {refusal} ({})",
                    refusal.code()
                ),
            ));
        }
        alerts
    }

    /// An inconsistency alert, once per checkpoint; the monitor records
    /// nothing and keeps what it knew.
    fn inconsistency(&mut self, note: &str, problem: String) -> Vec<Alert> {
        if self.reported_inconsistency.as_deref() == Some(note) {
            return Vec::new();
        }
        self.reported_inconsistency = Some(note.to_owned());
        vec![Alert {
            alert: "inconsistency",
            log: self.options.verifier.name().to_owned(),
            index: None,
            leaf_hash: None,
            statement_type: None,
            id: None,
            rules: Vec::new(),
            message: problem,
        }]
    }
}

/// The offices and programmes an applied statement (entry `index`)
/// concerns: the programmes whose list of entries it joined (the list the
/// programme's page shows), their owners, and the offices, mandates and
/// milestone approvers it touched.
fn concerns(
    state: &State,
    index: u64,
    touched: &crate::governance::apply::Touched,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut offices, mut programmes) = (BTreeSet::new(), BTreeSet::new());
    for (id, p) in &state.programmes {
        if state.histories.last_programme_entry(id) == Some(index) {
            programmes.insert(id.clone());
            offices.insert(p.spec.owner.to_string());
        }
    }
    for (kind, id) in touched {
        match *kind {
            "office" => {
                offices.insert(id.clone());
            }
            "mandate" => {
                if let Some(m) = state.mandates.get(id) {
                    offices.insert(m.spec.office.to_string());
                }
            }
            "milestone" => {
                if let Some(m) = state.milestones.get(id) {
                    offices.extend(m.approvers.iter().cloned());
                }
            }
            _ => {}
        }
    }
    (offices, programmes)
}

fn save(path: &PathBuf, saved: &Saved) -> Result<(), VerifyError> {
    let text = serde_json::to_string_pretty(saved).map_err(|e| VerifyError::State {
        path: path.clone(),
        problem: e.to_string(),
    })?;
    crate::ledger::verify::save_state(path, &text)
}
