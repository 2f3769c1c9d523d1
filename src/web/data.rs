//! Data for people who want the data: CSV and JSON downloads of
//! programmes, commitments and milestones (milestones named as in OCDS),
//! and Atom feeds of new entries, for the whole ledger and per programme.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;

use crate::governance::Governance;
use crate::governance::State as GovState;
use crate::ledger::Ledger;
use crate::ledger::entry::Entry;
use crate::store::StoredEntry;

/// Entries in a feed.
const FEED_LENGTH: u64 = 50;

/// One programme, flat.
#[derive(Serialize)]
struct ProgrammeRow {
    id: String,
    title: String,
    pillar: String,
    horizon: String,
    owner: String,
    owner_name: String,
    period_from: String,
    period_until: String,
    status: String,
    commitments: usize,
    budget_idr: String,
}

/// One commitment, flat (its current version).
#[derive(Serialize)]
struct CommitmentRow {
    id: String,
    programme: String,
    title: String,
    status: String,
    version: u32,
    budget_idr: String,
    budget_source: String,
    due: String,
    indicators: String,
}

/// One milestone with OCDS field names.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MilestoneRow {
    id: String,
    title: String,
    #[serde(rename = "type")]
    kind: String,
    due_date: String,
    date_met: String,
    /// OCDS status: scheduled, met, partiallyMet, notMet.
    status: String,
    /// As shown on the site, with `overdue` and `pending_approval`.
    shown_status: String,
    commitment: String,
    programme: String,
}

fn enum_text<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn programme_rows(state: &GovState) -> Vec<ProgrammeRow> {
    state
        .programme_summaries(&Default::default())
        .into_iter()
        .map(|p| ProgrammeRow {
            id: p.id,
            title: p.title,
            pillar: p.pillar,
            horizon: enum_text(&p.horizon),
            owner: p.owner,
            owner_name: p.owner_name,
            period_from: p.period.from.to_string(),
            period_until: p.period.until.to_string(),
            status: enum_text(&p.status),
            commitments: p.commitments,
            budget_idr: p.budget,
        })
        .collect()
}

fn commitment_rows(state: &GovState) -> Vec<CommitmentRow> {
    state
        .commitments
        .values()
        .map(|c| {
            let v = c.current();
            CommitmentRow {
                id: c.id.clone(),
                programme: c.programme.clone(),
                title: v.title.to_string(),
                status: enum_text(&c.status),
                version: v.version,
                budget_idr: v.budget.amount.to_string(),
                budget_source: v.budget.source.to_string(),
                due: v.due.to_string(),
                indicators: v
                    .indicators
                    .iter()
                    .map(|i| format!("{} ({}): {} → {}", i.name, i.unit, i.baseline, i.target))
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })
        .collect()
}

fn milestone_rows(state: &GovState) -> Vec<MilestoneRow> {
    let now = Utc::now();
    state
        .milestones
        .values()
        .filter_map(|m| state.milestone_view(&m.id, now))
        .map(|v| {
            let m = v.milestone;
            let date_met = m
                .reports
                .iter()
                .rev()
                .find(|r| r.outcome == crate::governance::state::ReportOutcome::Accepted)
                .and_then(|r| r.date_met.as_ref().map(|d| d.to_string()))
                .unwrap_or_default();
            MilestoneRow {
                programme: state
                    .commitments
                    .get(&m.commitment)
                    .map(|c| c.programme.clone())
                    .unwrap_or_default(),
                id: m.id,
                title: m.title.to_string(),
                kind: enum_text(&m.kind),
                due_date: m.due.to_string(),
                date_met,
                status: enum_text(&m.status),
                shown_status: enum_text(&v.shown_status),
                commitment: m.commitment,
            }
        })
        .collect()
}

/// RFC 4180 CSV of rows serialized as flat JSON objects.
fn csv<T: Serialize>(rows: &[T]) -> String {
    fn field(text: &str) -> String {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    }
    // Text from statements that a spreadsheet would run as a formula is
    // prefixed with an apostrophe (OWASP, CSV injection).
    fn text_field(text: &str) -> String {
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            field(&format!("'{text}"))
        } else {
            field(text)
        }
    }
    let objects: Vec<serde_json::Map<String, serde_json::Value>> = rows
        .iter()
        .filter_map(|r| match serde_json::to_value(r) {
            Ok(serde_json::Value::Object(m)) => Some(m),
            _ => None,
        })
        .collect();
    let Some(first) = objects.first() else {
        return String::new();
    };
    // Columns in the (alphabetical) key order of serde_json's maps.
    let columns: Vec<String> = first.keys().cloned().collect();
    let mut out = columns
        .iter()
        .map(|c| field(c))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for o in &objects {
        let line = columns
            .iter()
            .map(|c| match o.get(c) {
                Some(serde_json::Value::String(s)) => text_field(s),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(v) => field(&v.to_string()),
            })
            .collect::<Vec<_>>()
            .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

fn download(kind: &'static str, name: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

fn failed(cause: impl std::fmt::Display) -> Response {
    tracing::error!(%cause, "download failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; the cause is in the server log\n",
    )
        .into_response()
}

/// `GET /data/{name}`: programmes, commitments or milestones, as CSV or JSON.
pub(super) async fn dataset(
    State(governance): State<Governance>,
    Path(name): Path<String>,
) -> Response {
    let folded = match governance.current().await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let state = &folded.state;
    let Some((set, format)) = name.rsplit_once('.') else {
        return (StatusCode::NOT_FOUND, "no such download\n").into_response();
    };
    let (csv_text, json_text) = match set {
        "programmes" => {
            let rows = programme_rows(state);
            (csv(&rows), serde_json::to_string_pretty(&rows))
        }
        "commitments" => {
            let rows = commitment_rows(state);
            (csv(&rows), serde_json::to_string_pretty(&rows))
        }
        "milestones" => {
            let rows = milestone_rows(state);
            (csv(&rows), serde_json::to_string_pretty(&rows))
        }
        _ => return (StatusCode::NOT_FOUND, "no such download\n").into_response(),
    };
    match format {
        "csv" => download("text/csv; charset=utf-8", &name, csv_text),
        "json" => match json_text {
            Ok(text) => download("application/json", &name, text),
            Err(e) => failed(e),
        },
        _ => (StatusCode::NOT_FOUND, "no such download\n").into_response(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The base of links in feeds: the configured public address, or nothing
/// (links relative to the site's root). Never the request's `Host` header,
/// which any client can set.
fn site_base(public: &super::PublicUrl) -> String {
    public
        .0
        .as_deref()
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

fn atom(
    state: &crate::governance::State,
    base: &str,
    origin: &str,
    feed: &str,
    title: &str,
    rows: &[StoredEntry],
) -> Response {
    let mut items = String::new();
    let mut updated = String::from("1970-01-01T00:00:00Z");
    for row in rows.iter().rev() {
        let Ok(entry) = Entry::parse(&row.body) else {
            continue;
        };
        let words = super::pages::entry_words(state, super::i18n::Lang::Id, &entry);
        let english = super::pages::entry_words(state, super::i18n::Lang::En, &entry);
        if entry.recorded_at.to_string() > updated {
            updated = entry.recorded_at.to_string();
        }
        items.push_str(&format!(
            "<entry><id>urn:prasasti:{origin}:entry:{index}</id><title>#{index} {words}</title>\
             <updated>{time}</updated><link href=\"{base}/ledger/{index}\"/>\
             <summary>{english} ({statement_id})</summary></entry>\n",
            origin = escape(origin),
            index = row.index,
            words = escape(&words),
            english = escape(&english),
            time = escape(&entry.recorded_at.to_string()),
            base = escape(base),
            statement_id = escape(&row.statement_id),
        ));
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <id>urn:prasasti:{origin}:{feed}</id><title>{title}</title><updated>{updated}</updated>\
         <link rel=\"self\" href=\"{base}/{feed}\"/><author><name>{origin}</name></author>\n{items}</feed>\n",
        origin = escape(origin),
        feed = escape(feed),
        title = escape(title),
        updated = escape(&updated),
        base = escape(base),
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/atom+xml; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// `GET /feed.atom`: the newest entries of the ledger.
pub(super) async fn ledger_feed(
    State(ledger): State<Ledger>,
    State(governance): State<Governance>,
    State(public): State<super::PublicUrl>,
) -> Response {
    let folded = match governance.current().await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let size = match ledger.latest_checkpoint().await {
        Ok(c) => c.tree_size,
        Err(e) => return failed(e),
    };
    let start = size.saturating_sub(FEED_LENGTH);
    let rows = match ledger.store().entries(start, size - start).await {
        Ok(rows) => rows,
        Err(e) => return failed(e),
    };
    atom(
        &folded.state,
        &site_base(&public),
        ledger.origin(),
        "feed.atom",
        "prasasti: entri baru / new entries",
        &rows,
    )
}

/// `GET /program/{id}/feed.atom`: the entries that touched one programme.
pub(super) async fn programme_feed(
    State(ledger): State<Ledger>,
    State(governance): State<Governance>,
    Path(id): Path<String>,
    State(public): State<super::PublicUrl>,
) -> Response {
    let folded = match governance.current().await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let Some(programme) = folded.state.programmes.get(&id) else {
        return (StatusCode::NOT_FOUND, "no such programme\n").into_response();
    };
    let latest = folded
        .state
        .histories
        .programme_entries(&id, 0, FEED_LENGTH as usize);
    let rows = match ledger.store().entries_at(&latest.indexes).await {
        Ok(rows) => rows,
        Err(e) => return failed(e),
    };
    let title = format!("prasasti: {}", programme.spec.title);
    atom(
        &folded.state,
        &site_base(&public),
        ledger.origin(),
        &format!("program/{id}/feed.atom"),
        &title,
        &rows,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_cells_that_spreadsheets_would_run_are_defused() {
        #[derive(serde::Serialize)]
        struct Row {
            a: &'static str,
            n: i64,
        }
        let rows = [
            Row {
                a: "=HYPERLINK(\"http://x\")",
                n: -1,
            },
            Row { a: "+1", n: 2 },
            Row {
                a: "@SUM(A1)",
                n: 3,
            },
            Row { a: "\tx", n: 4 },
            Row { a: "-2+3", n: 5 },
            Row {
                a: "Rp 1.000",
                n: 6,
            },
        ];
        let text = super::csv(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "a,n");
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"http://x\"\")\",-1");
        assert_eq!(lines[2], "'+1,2");
        assert_eq!(lines[3], "'@SUM(A1),3");
        assert_eq!(lines[4], "'\tx,4");
        assert_eq!(lines[5], "'-2+3,5");
        assert_eq!(lines[6], "Rp 1.000,6");
    }
}
