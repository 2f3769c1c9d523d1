//! Fillable statements for officials: `prasasti template TYPE`.

use serde_json::{Map, Value, json};

use super::model::TYPES;

/// A fresh statement id: the type's name and 16 random hex digits.
pub fn fresh_id(statement_type: &str) -> String {
    let mut bytes = [0u8; 8];
    // A failing system random source leaves zeros; the id stays valid and
    // a reused id is refused by the ledger, never silently merged.
    let _ = getrandom::fill(&mut bytes);
    format!(
        "{}-{}",
        statement_type.replace('.', "-"),
        hex::encode(bytes)
    )
}

const KEY: &str = "<64 lowercase hex digits of an Ed25519 public key>";
const SHA: &str = "<sha256 of the document, 64 lowercase hex digits>";

/// The fields of `statement_type` with placeholder values, or `None` for an
/// unknown type.
fn fields(statement_type: &str) -> Option<Value> {
    Some(match statement_type {
        "ledger.genesis" => json!({
            "government": {"name": "Pemerintah Kabupaten …", "region_code": "33.13", "timezone": "Asia/Jakarta"},
            "registrars": {"keys": [KEY], "threshold": 1},
        }),
        "registrars.update" => json!({"keys": [KEY], "threshold": 1}),
        "office.establish" => json!({
            "office": {"id": "bappeda", "name": "Kepala Bappeda", "unit": "Badan Perencanaan Pembangunan Daerah", "role": "planning"}
        }),
        "mandate.begin" => json!({
            "mandate": {
                "id": "bappeda-2025", "office": "bappeda",
                "holder": {"name": "<full name>", "nip": "<18-digit NIP: required for appointed officials>", "person": "<for an elected holder without NIP: a person id, the same in each of their mandates; else remove>"},
                "kind": "definitive", "from": "2025-03-01", "until": "2030-03-01",
                "basis": {"kind": "sk_bupati", "number": "<decree number>", "date": "2025-02-28", "sha256": SHA}
            },
            "keys": [KEY]
        }),
        "mandate.end" => {
            json!({"mandate": "bappeda-2025", "at": "2030-03-01", "reason": "<why the term ended>"})
        }
        "key.add" => json!({"mandate": "bappeda-2025", "key": KEY}),
        "key.revoke" => {
            json!({"key": KEY, "reason": "<why>", "compromised_since": "<RFC 3339 time, optional>"})
        }
        "document.register" => json!({
            "document": {"id": "rpjmd-2025-2029", "kind": "RPJMD", "number": "<number>", "title": "<title>", "date": "2025-08-01", "sha256": SHA, "uri": "<https://…, optional>"}
        }),
        "programme.register" | "programme.update" => json!({
            "programme": {
                "id": "satu-data", "title": "<title>", "pillar": "governance", "horizon": "short",
                "owner": "diskominfo", "period": {"from": "2025-01-01", "until": "2026-12-31"},
                "description": "<what the programme does>", "documents": ["rpjmd-2025-2029"]
            }
        }),
        "commitment.make" => json!({
            "commitment": {
                "id": "satu-data-portal", "programme": "satu-data", "title": "<title>", "description": "<what is promised>",
                "indicators": [{"id": "datasets", "name": "<indicator>", "unit": "dataset", "baseline": "0", "target": "100"}],
                "budget": {"amount": "1500000000", "currency": "IDR", "source": "APBD"},
                "due": "2026-12-31"
            }
        }),
        "commitment.amend" => json!({
            "commitment": "satu-data-portal",
            "changes": {"due": "2027-06-30", "budget": {"amount": "1200000000", "currency": "IDR", "source": "APBD"}},
            "justification": "<why>"
        }),
        "commitment.reaffirm" => {
            json!({"commitment": "satu-data-portal", "note": "<optional note>"})
        }
        "commitment.discontinue" => json!({
            "commitment": "satu-data-portal", "justification": "<why>",
            "basis": {"kind": "<decree kind; ministerial_approval for an interim head>", "number": "<number>", "sha256": SHA}
        }),
        "commitment.complete" => {
            json!({"commitment": "satu-data-portal", "note": "<optional note>"})
        }
        "milestone.schedule" => json!({
            "milestone": {"id": "satu-data-portal-launch", "commitment": "satu-data-portal", "title": "<title>", "type": "delivery", "due": "2026-06-30", "approvers": ["bappeda", "inspektorat"]}
        }),
        "milestone.reschedule" => {
            json!({"milestone": "satu-data-portal-launch", "due": "2026-09-30", "justification": "<why>"})
        }
        "milestone.report" => json!({
            "milestone": "satu-data-portal-launch", "status": "met", "date_met": "2026-06-20",
            "progress": {"physical_pct": 100, "financial_pct": 92},
            "evidence": [{"title": "<what>", "sha256": SHA, "uri": "<https://…, optional>"}],
            "note": "<optional note>"
        }),
        "milestone.approve" => {
            json!({"milestone": "satu-data-portal-launch", "report": 0, "decision": "approve", "note": "<optional note>"})
        }
        "handover.record" => json!({
            "office": "bupati", "outgoing": "<outgoing mandate id>", "incoming": "<incoming mandate id>", "at": "2025-02-20",
            "basis": {"kind": "berita_acara", "number": "<number>", "sha256": SHA},
            "open_commitments": ["<every open commitment id>"], "notes": "<optional notes>"
        }),
        "audit.note" => json!({
            "subject": {"kind": "milestone", "id": "satu-data-portal-launch"},
            "finding": "<finding>", "severity": "medium", "recommendation": "<optional recommendation>"
        }),
        "audit.response" => json!({"note": 0, "response": "<response>"}),
        _ => return None,
    })
}

/// A fillable statement of `statement_type` for the ledger `origin`, with a
/// fresh id; `None` for an unknown type.
pub fn template(statement_type: &str, origin: &str) -> Option<Map<String, Value>> {
    let Value::Object(mut object) = fields(statement_type)? else {
        return None;
    };
    object.insert("type".into(), statement_type.into());
    object.insert("ledger".into(), origin.into());
    object.insert("id".into(), fresh_id(statement_type).into());
    Some(object)
}

/// Every type with a template.
pub fn types() -> &'static [&'static str] {
    &TYPES
}
