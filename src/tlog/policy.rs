//! Witness policies (c2sp.org/tlog-policy): which logs, which witnesses,
//! and which groups of them must cosign a checkpoint for it to be trusted.
//!
//! ```text
//! log <vkey> [url]
//! witness <name> <vkey> [url]
//! group <name> <k|any|all> <member>...
//! quorum <name|none>
//! ```
//!
//! Members are witnesses or groups defined on earlier lines; a name is
//! defined once and each member appears once in a group; `#` starts a
//! comment. There is exactly one `quorum` line. Each witness counts once,
//! however many groups name it.

use std::collections::BTreeSet;

use super::cosignature::CosignatureVerifier;
use super::note::{Note, NoteVerifier};

/// Why a policy could not be read, with its line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("policy line {line}: {problem}")]
pub struct PolicyError {
    /// The line, from 1 (0: the policy as a whole).
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// How far in the future a cosignature's time may be before a verifier
/// refuses it (clocks differ a little).
pub const FUTURE_ALLOWANCE_SECS: u64 = 300;

/// Why a checkpoint is not trusted under a policy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuorumError {
    /// The log's own signature is missing or wrong.
    #[error("the checkpoint is not validly signed by the log: {0}")]
    NotSigned(String),
    /// A witness's cosignature claims a time still to come.
    #[error("witness {name}'s cosignature is dated {time}, in the future")]
    FutureCosignature {
        /// The witness.
        name: String,
        /// The claimed time (Unix seconds).
        time: u64,
    },
    /// Too few witnesses cosigned.
    #[error("the witness quorum is not met: cosigned by {}", if cosigned.is_empty() { "none of the policy's witnesses".to_owned() } else { cosigned.join(", ") })]
    Unmet {
        /// The witnesses that did cosign.
        cosigned: Vec<String>,
    },
}

/// A witness of the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// Its name in the policy.
    pub name: String,
    /// Its key.
    pub key: CosignatureVerifier,
    /// Where it answers `add-checkpoint`, if given.
    pub url: Option<String>,
}

/// A log of the policy.
#[derive(Clone, Debug)]
pub struct Log {
    /// Its key (its name is the log's origin).
    pub key: NoteVerifier,
    /// Where it is served, if given.
    pub url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    name: String,
    threshold: usize,
    members: Vec<Member>,
}

/// A parsed policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The logs.
    pub logs: Vec<Log>,
    /// The witnesses.
    pub witnesses: Vec<Witness>,
    groups: Vec<Group>,
    /// `None` for `quorum none`.
    quorum: Option<Member>,
}

impl Policy {
    /// Reads a policy file.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut policy = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        for (number, raw) in text.lines().enumerate() {
            let line = number + 1;
            let err = |problem: &str| PolicyError {
                line,
                problem: problem.to_owned(),
            };
            let words = line_words(raw);
            let Some((&keyword, args)) = words.split_first() else {
                continue;
            };
            match keyword {
                "log" => {
                    let (vkey, url) = match args {
                        [vkey] => (vkey, None),
                        [vkey, url] => (vkey, Some((*url).to_owned())),
                        _ => return Err(err("a log line is: log <vkey> [url]")),
                    };
                    let key = NoteVerifier::parse(vkey)
                        .map_err(|e| err(&format!("the log's key: {e}")))?;
                    policy.logs.push(Log { key, url });
                }
                "witness" => {
                    let (name, vkey, url) = match args {
                        [name, vkey] => (name, vkey, None),
                        [name, vkey, url] => (name, vkey, Some((*url).to_owned())),
                        _ => return Err(err("a witness line is: witness <name> <vkey> [url]")),
                    };
                    policy.check_new_name(name).map_err(|p| err(&p))?;
                    let key = CosignatureVerifier::parse(vkey)
                        .map_err(|e| err(&format!("the witness's key: {e}")))?;
                    // One key standing for two witnesses would count twice.
                    if policy.witnesses.iter().any(|w| w.key == key) {
                        return Err(err("this key is already another witness's"));
                    }
                    policy.witnesses.push(Witness {
                        name: (*name).to_owned(),
                        key,
                        url,
                    });
                }
                "group" => {
                    let [name, threshold, members @ ..] = args else {
                        return Err(err("a group line is: group <name> <k|any|all> <member>..."));
                    };
                    if members.is_empty() {
                        return Err(err("a group needs at least one member"));
                    }
                    policy.check_new_name(name).map_err(|p| err(&p))?;
                    let mut resolved = Vec::new();
                    for member in members {
                        let found = policy.member(member).ok_or_else(|| {
                            err(&format!("{member} is not defined on an earlier line"))
                        })?;
                        if resolved.contains(&found) {
                            return Err(err(&format!("{member} appears twice in the group")));
                        }
                        resolved.push(found);
                    }
                    let threshold = match *threshold {
                        "any" => 1,
                        "all" => resolved.len(),
                        k => k
                            .parse::<usize>()
                            .ok()
                            .filter(|k| (1..=resolved.len()).contains(k))
                            .ok_or_else(|| {
                                err("the threshold is any, all, or a number from 1 to the number of members")
                            })?,
                    };
                    policy.groups.push(Group {
                        name: (*name).to_owned(),
                        threshold,
                        members: resolved,
                    });
                }
                "quorum" => {
                    if quorum_seen {
                        return Err(err("there is one quorum line only"));
                    }
                    quorum_seen = true;
                    let [name] = args else {
                        return Err(err("a quorum line is: quorum <name|none>"));
                    };
                    if *name != "none" {
                        policy.quorum = Some(policy.member(name).ok_or_else(|| {
                            err(&format!("{name} is not defined on an earlier line"))
                        })?);
                    }
                }
                other => return Err(err(&format!("unknown keyword {other:?}"))),
            }
        }
        if !quorum_seen {
            return Err(PolicyError {
                line: 0,
                problem: "the policy has no quorum line".into(),
            });
        }
        Ok(policy)
    }

    fn check_new_name(&self, name: &str) -> Result<(), String> {
        if name == "none" || self.member(name).is_some() {
            return Err(format!("the name {name} is already used"));
        }
        Ok(())
    }

    fn member(&self, name: &str) -> Option<Member> {
        if let Some(i) = self.witnesses.iter().position(|w| w.name == name) {
            return Some(Member::Witness(i));
        }
        self.groups
            .iter()
            .position(|g| g.name == name)
            .map(Member::Group)
    }

    /// The policy written out in its own syntax (groups with numeric
    /// thresholds); [`parse`](Self::parse) reads it back to the same policy.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for log in &self.logs {
            text.push_str(&format!("log {}", log.key.to_vkey_string()));
            push_url(&mut text, log.url.as_deref());
        }
        for witness in &self.witnesses {
            text.push_str(&format!(
                "witness {} {}",
                witness.name,
                witness.key.to_vkey_string()
            ));
            push_url(&mut text, witness.url.as_deref());
        }
        for group in &self.groups {
            text.push_str(&format!("group {} {}", group.name, group.threshold));
            for member in &group.members {
                text.push(' ');
                text.push_str(self.member_name(member));
            }
            text.push('\n');
        }
        match &self.quorum {
            None => text.push_str("quorum none\n"),
            Some(member) => text.push_str(&format!("quorum {}\n", self.member_name(member))),
        }
        text
    }

    fn member_name(&self, member: &Member) -> &str {
        match member {
            Member::Witness(i) => &self.witnesses[*i].name,
            Member::Group(i) => &self.groups[*i].name,
        }
    }

    /// Whether the witnesses named in `cosigned` (policy names) satisfy the
    /// quorum.
    pub fn satisfied(&self, cosigned: &BTreeSet<String>) -> bool {
        match &self.quorum {
            None => true,
            Some(member) => self.holds(member, cosigned),
        }
    }

    fn holds(&self, member: &Member, cosigned: &BTreeSet<String>) -> bool {
        match member {
            Member::Witness(i) => cosigned.contains(&self.witnesses[*i].name),
            Member::Group(i) => {
                let group = &self.groups[*i];
                group
                    .members
                    .iter()
                    .filter(|m| self.holds(m, cosigned))
                    .count()
                    >= group.threshold
            }
        }
    }

    /// The log of this policy with `origin`, if it names one.
    pub fn log(&self, origin: &str) -> Option<&Log> {
        self.logs.iter().find(|l| l.key.name() == origin)
    }

    /// Checks a checkpoint note: signed by `log`, and cosigned by
    /// witnesses meeting the quorum, none dated after `now` (Unix seconds)
    /// plus [`FUTURE_ALLOWANCE_SECS`]. The witnesses that cosigned, with
    /// their times.
    pub fn check(
        &self,
        note: &str,
        log: &NoteVerifier,
        now: u64,
    ) -> Result<Vec<(String, u64)>, QuorumError> {
        let opened = super::note::open(note, std::slice::from_ref(log))
            .map_err(|e| QuorumError::NotSigned(e.to_string()))?;
        let cosigners = self.cosigners(&opened);
        if let Some((name, time)) = cosigners
            .iter()
            .find(|(_, time)| *time > now.saturating_add(FUTURE_ALLOWANCE_SECS))
        {
            return Err(QuorumError::FutureCosignature {
                name: name.clone(),
                time: *time,
            });
        }
        let names: BTreeSet<String> = cosigners.iter().map(|(n, _)| n.clone()).collect();
        if !self.satisfied(&names) {
            return Err(QuorumError::Unmet {
                cosigned: names.into_iter().collect(),
            });
        }
        Ok(cosigners)
    }

    /// The witnesses whose valid cosignatures an opened checkpoint note
    /// carries, each with its cosignature's time. Lines by other keys are
    /// ignored; a witness's line that does not verify counts for nothing.
    pub fn cosigners(&self, note: &Note) -> Vec<(String, u64)> {
        let mut found: Vec<(String, u64)> = Vec::new();
        for signature in &note.unverified {
            for witness in &self.witnesses {
                if let Some(time) = witness.key.verify(&note.text, signature)
                    && !found.iter().any(|(name, _)| name == &witness.name)
                {
                    found.push((witness.name.clone(), time));
                }
            }
        }
        found
    }
}

/// The words of one line of a policy, or of a file in its style (the
/// witness's list of logs, the monitor's watch rules): `#` starts a
/// comment, and words are separated by white space.
pub fn line_words(line: &str) -> Vec<&str> {
    line.split('#')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect()
}

fn push_url(text: &mut String, url: Option<&str>) {
    if let Some(url) = url {
        text.push(' ');
        text.push_str(url);
    }
    text.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::cosignature::Cosigner;
    use crate::tlog::note::{self, NoteSigner};

    fn witness(name: &str, seed: u8) -> Cosigner {
        Cosigner::from_seed(name, [seed; 32]).unwrap()
    }

    fn log() -> NoteSigner {
        NoteSigner::from_seed("karanganyar.example/prasasti", [9; 32]).unwrap()
    }

    fn policy(quorum_lines: &str) -> String {
        format!(
            "# the regency's witnesses\nlog {}\nwitness dprd {} https://saksi.dprd.example\nwitness inspektorat {}\nwitness kampus {}\n{quorum_lines}",
            log().verifier().to_vkey_string(),
            witness("dprd.example", 1).verifier().to_vkey_string(),
            witness("inspektorat.example", 2)
                .verifier()
                .to_vkey_string(),
            witness("uns.example", 3).verifier().to_vkey_string(),
        )
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn groups_nest_and_each_witness_counts_once() {
        let p = Policy::parse(&policy(
            "group lokal all dprd inspektorat\ngroup luar any kampus\ngroup semua 2 lokal luar inspektorat\nquorum semua\n",
        ))
        .unwrap();
        assert_eq!(p.logs.len(), 1);
        assert_eq!(
            p.witnesses[0].url.as_deref(),
            Some("https://saksi.dprd.example")
        );
        assert!(!p.satisfied(&set(&[])));
        assert!(!p.satisfied(&set(&["dprd"])));
        // `semua` needs two of lokal, luar and inspektorat itself.
        assert!(p.satisfied(&set(&["inspektorat", "kampus"])));
        assert!(p.satisfied(&set(&["dprd", "inspektorat"])));
        assert!(!p.satisfied(&set(&["kampus"])));
        assert!(p.satisfied(&set(&["dprd", "inspektorat", "kampus"])));
        let none = Policy::parse(&policy("quorum none\n")).unwrap();
        assert!(none.satisfied(&set(&[])));
        let one = Policy::parse(&policy("quorum kampus\n")).unwrap();
        assert!(one.satisfied(&set(&["kampus"])) && !one.satisfied(&set(&["dprd"])));
    }

    #[test]
    fn a_policy_written_out_reads_back_the_same() {
        let p = Policy::parse(&policy(
            "group lokal all dprd inspektorat\ngroup luar any kampus\ngroup semua 2 lokal luar inspektorat\nquorum semua\n",
        ))
        .unwrap();
        let text = p.to_text();
        assert!(text.contains("group lokal 2 dprd inspektorat\n"), "{text}");
        assert!(text.contains("witness dprd dprd.example+"), "{text}");
        assert!(text.ends_with("quorum semua\n"), "{text}");
        let again = Policy::parse(&text).unwrap();
        assert_eq!(again.to_text(), text);
        for cosigned in [&["dprd"][..], &["inspektorat", "kampus"], &["kampus"]] {
            assert_eq!(again.satisfied(&set(cosigned)), p.satisfied(&set(cosigned)));
        }
        let none = Policy::parse(&policy("quorum none\n")).unwrap();
        assert!(none.to_text().ends_with("quorum none\n"));
    }

    #[test]
    fn malformed_policies_are_refused_naming_the_line() {
        for (lines, line) in [
            ("", 0),
            ("quorum nobody\n", 6),
            ("quorum none\nquorum none\n", 7),
            ("group g 3 dprd inspektorat\nquorum g\n", 6),
            ("group g 0 dprd\nquorum g\n", 6),
            ("group g any dprd dprd\nquorum g\n", 6),
            ("group g any\nquorum none\n", 6),
            ("group dprd any kampus\nquorum none\n", 6),
            ("group g any later\nwitness later x\nquorum none\n", 6),
            ("monitor x\nquorum none\n", 6),
        ] {
            let err = Policy::parse(&policy(lines)).unwrap_err();
            assert_eq!(err.line, line, "{lines:?}: {err}");
        }
        let err = Policy::parse("witness w not-a-key\nquorum w\n").unwrap_err();
        assert_eq!(err.line, 1);
        let log_key_as_witness = format!(
            "witness w {}\nquorum w\n",
            log().verifier().to_vkey_string()
        );
        assert!(Policy::parse(&log_key_as_witness).is_err());
    }

    #[test]
    fn a_checkpoint_is_trusted_when_its_cosigners_meet_the_quorum() {
        let p = Policy::parse(&policy("group g 2 dprd inspektorat kampus\nquorum g\n")).unwrap();
        let text =
            "karanganyar.example/prasasti\n5\nvc4Ds0TXsYsnlgLk+0Ks5yqhTvhNVqqwu2LpVFzwxA0=\n";
        let signed = note::sign(text, &[&log()]).unwrap();
        let one = format!("{signed}{}", witness("dprd.example", 1).cosign(text, 100));
        let opened = note::open(&one, &[p.logs[0].key.clone()]).unwrap();
        let cosigners = p.cosigners(&opened);
        assert_eq!(cosigners, vec![("dprd".to_owned(), 100)]);
        assert!(!p.satisfied(&cosigners.iter().map(|(n, _)| n.clone()).collect()));
        // A forged line in a witness's name counts for nothing; the same
        // witness twice counts once; an unknown cosigner is ignored.
        let forged = witness("inspektorat.example", 7).cosign(text, 100);
        let two = format!(
            "{one}{forged}{}{}",
            witness("dprd.example", 1).cosign(text, 101),
            witness("stranger.example", 4).cosign(text, 100)
        );
        let opened = note::open(&two, &[p.logs[0].key.clone()]).unwrap();
        let names: BTreeSet<String> = p.cosigners(&opened).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, set(&["dprd"]));
        let three = format!("{one}{}", witness("uns.example", 3).cosign(text, 102));
        let opened = note::open(&three, &[p.logs[0].key.clone()]).unwrap();
        let names: BTreeSet<String> = p.cosigners(&opened).into_iter().map(|(n, _)| n).collect();
        assert!(p.satisfied(&names));
    }

    #[test]
    fn check_needs_the_log_signature_the_quorum_and_no_future_dates() {
        let p = Policy::parse(&policy("group g 2 dprd inspektorat kampus\nquorum g\n")).unwrap();
        let log_key = p.log("karanganyar.example/prasasti").unwrap().key.clone();
        assert!(p.log("other.example/log").is_none());
        let text =
            "karanganyar.example/prasasti\n5\nvc4Ds0TXsYsnlgLk+0Ks5yqhTvhNVqqwu2LpVFzwxA0=\n";
        let signed = note::sign(text, &[&log()]).unwrap();
        let now = 1_000_000;
        let dprd = witness("dprd.example", 1).cosign(text, now - 5);
        let kampus = witness("uns.example", 3).cosign(text, now);
        assert_eq!(
            p.check(&format!("{signed}{dprd}"), &log_key, now),
            Err(QuorumError::Unmet {
                cosigned: vec!["dprd".into()]
            })
        );
        assert_eq!(
            p.check(&format!("{signed}{dprd}{kampus}"), &log_key, now),
            Ok(vec![("dprd".into(), now - 5), ("kampus".into(), now)])
        );
        // Within the allowance for clocks, and beyond it.
        let soon = witness("uns.example", 3).cosign(text, now + FUTURE_ALLOWANCE_SECS);
        assert!(
            p.check(&format!("{signed}{dprd}{soon}"), &log_key, now)
                .is_ok()
        );
        let later = witness("uns.example", 3).cosign(text, now + FUTURE_ALLOWANCE_SECS + 1);
        assert!(matches!(
            p.check(&format!("{signed}{dprd}{later}"), &log_key, now),
            Err(QuorumError::FutureCosignature { name, .. }) if name == "kampus"
        ));
        // Cosignatures without the log's own signature are worth nothing.
        let unsigned = format!("{text}\n{dprd}{kampus}");
        assert!(matches!(
            p.check(&unsigned, &log_key, now),
            Err(QuorumError::NotSigned(_))
        ));
    }
}
