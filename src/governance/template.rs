//! Fillable statements for officials: `prasasti template TYPE`.

use serde_json::{Map, Value};

use super::model::StatementType;

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

/// A fillable statement of `statement_type` for the ledger `origin`, with a
/// fresh id; `None` for an unknown type.
pub fn template(statement_type: &str, origin: &str) -> Option<Map<String, Value>> {
    let kind: StatementType = statement_type.parse().ok()?;
    let Value::Object(mut object) = kind.template() else {
        return None;
    };
    object.insert("type".into(), statement_type.into());
    object.insert("ledger".into(), origin.into());
    object.insert("id".into(), fresh_id(statement_type).into());
    Some(object)
}

/// Every type with a template.
pub fn types() -> Vec<&'static str> {
    StatementType::ALL.iter().map(|t| t.as_str()).collect()
}
