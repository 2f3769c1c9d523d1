//! The witnesses, as Beranda and Verifikasi show them: who they are, when
//! each last cosigned, and, plainly, when the log has not been witnessed
//! for a while.

use super::*;
use crate::ledger::witnessing::WitnessStatus;
use crate::store::StoredCheckpoint;

/// How long the newest entries may wait for their witnesses before the
/// site says the log is not being witnessed.
const WITNESS_LAG_WARNING: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// The log's witnessing at this moment.
pub(in crate::web) struct Witnessed {
    /// The published (witnessed) checkpoint, if any yet.
    pub published: Option<StoredCheckpoint>,
    /// The newest signed checkpoint.
    pub signed: StoredCheckpoint,
    /// Each witness of the policy with its key and what it last said.
    pub witnesses: Vec<(String, WitnessStatus)>,
    /// The policy, as text.
    pub policy: String,
}

/// The ledger's witnessing, or `None` when it has no witness policy.
pub(in crate::web) async fn witnessed(
    ledger: &Ledger,
) -> Result<Option<Witnessed>, crate::ledger::LedgerError> {
    let Some(witnessing) = ledger.witnessing() else {
        return Ok(None);
    };
    let published = ledger.published_checkpoint().await?;
    let signed = ledger.latest_checkpoint().await?;
    let status = witnessing.status_with(ledger.verifier(), published.as_ref());
    let witnesses = witnessing
        .policy()
        .witnesses
        .iter()
        .map(|w| w.key.to_vkey_string())
        .zip(status)
        .collect();
    Ok(Some(Witnessed {
        published,
        signed,
        witnesses,
        policy: witnessing.policy().to_text(),
    }))
}

fn local(state: &GovState, time: Option<&str>) -> Option<String> {
    let time = crate::ledger::entry::parse_time(time?)?;
    Some(state.local_time(time))
}

/// The warning shown when newer entries wait for their witnesses and a
/// witness is failing, or they have waited too long.
fn lag_warning(state: &GovState, lang: Lang, w: &Witnessed) -> Option<String> {
    let witnessed_size = w.published.as_ref().map_or(0, |p| p.tree_size);
    if w.signed.tree_size <= witnessed_size {
        return None;
    }
    let since = w
        .published
        .as_ref()
        .map_or(w.signed.signed_at.as_str(), |p| p.signed_at.as_str());
    let waiting = crate::ledger::entry::parse_time(since)?;
    let failing = w.witnesses.iter().any(|(_, s)| s.problem.is_some());
    if !failing && Utc::now() - waiting < WITNESS_LAG_WARNING {
        return None;
    }
    let waiting_entries = w.signed.tree_size - witnessed_size;
    Some(match &w.published {
        Some(_) => format!(
            "{} {} ({waiting_entries} {})",
            lang.t(
                "Log ini belum disaksikan sejak",
                "This log has not been witnessed since"
            ),
            state.local_time(waiting),
            lang.t(
                "entri terbaru belum dicosign para saksi",
                "newest entries not yet cosigned by the witnesses"
            )
        ),
        None => lang
            .t(
                "Belum ada checkpoint log ini yang disaksikan oleh cukup saksi.",
                "No checkpoint of this log has been witnessed by enough witnesses yet.",
            )
            .to_owned(),
    })
}

/// The witnesses' table, with the lag warning above it.
pub(in crate::web) fn witnesses_block(state: &GovState, lang: Lang, w: &Witnessed) -> Markup {
    html! {
        @if let Some(warning) = lag_warning(state, lang, w) {
            p.warning #witness-lag role="alert" { (warning) }
        }
        p { (lang.t(
            "Para saksi independen menandatangani bersama (cosign) checkpoint hanya setelah memeriksa bahwa log tidak ditulis ulang sejak yang terakhir mereka saksikan. Checkpoint yang diterbitkan situs ini adalah yang terakhir disaksikan oleh cukup saksi menurut kebijakan saksi.",
            "Independent witnesses cosign a checkpoint only after checking the log was not rewritten since the last one they cosigned. The checkpoint this site publishes is the newest one enough witnesses cosigned, as the witness policy requires."
        )) }
        table #witnesses {
            thead { tr {
                th { (lang.t("Saksi", "Witness")) }
                th { (lang.t("Terakhir menandatangani", "Last cosigned")) }
                th { (lang.t("Keadaan", "State")) }
                th.wide { (lang.t("Kunci", "Key")) }
            } }
            tbody {
                @for (key, s) in &w.witnesses {
                    tr data-witness=(s.name) {
                        td { (s.name) }
                        td { (local(state, s.last_cosigned_at.as_deref()).unwrap_or_else(|| lang.t("belum pernah", "never").to_owned()))
                            @if let Some(size) = s.cosigned_size { " · " (size) " " (lang.t("entri", "entries")) } }
                        td {
                            @match &s.problem {
                                None => span.badge.good { (lang.t("menjawab", "answering")) },
                                Some(p) if p.kind == "alarm" => {
                                    span.badge.bad { (lang.t("ALARM: menolak log ini", "ALARM: refuses this log")) }
                                    br; small.muted { (p.message) }
                                },
                                Some(p) => {
                                    span.badge.neutral { (lang.t("tidak menjawab", "not answering")) }
                                    " " small.muted { (lang.t("sejak ", "since ")) (local(state, Some(&p.since)).unwrap_or_default()) }
                                },
                            }
                        }
                        td.wide.hash { (key) }
                    }
                }
            }
        }
    }
}
