//! For officials co-signing through a server's drafts: open a draft with a
//! signed statement, add a signature to one, list an office's drafts.

use super::*;
use crate::ledger::statement::{PAYLOAD_TYPE, pae};

/// Sends `body` as JSON to `server` + `path`; a refusal becomes its sentence.
async fn post(server: &str, path: &str, body: &impl serde::Serialize) -> Result<Value> {
    let url = format!("{}{path}", server.trim_end_matches('/'));
    let response = crate::ledger::http::client()?
        .post(&url)
        .json(body)
        .send()
        .await
        .with_context(|| format!("sending to {url}"))?;
    official::answer(&url, response).await
}

async fn get(server: &str, path: &str) -> Result<Value> {
    let url = format!("{}{path}", server.trim_end_matches('/'));
    let response = crate::ledger::http::client()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("asking {url}"))?;
    official::answer(&url, response).await
}

/// One line a draft: where it is and what it still needs.
fn summary(draft: &Value) -> String {
    let id = draft["id"].as_str().unwrap_or("?");
    let statement = &draft["statement"];
    let what = format!(
        "{} {}",
        statement["type"].as_str().unwrap_or("?"),
        statement["id"].as_str().unwrap_or("?")
    );
    match draft["status"].as_str() {
        Some("submitted") => format!("draft {id} ({what}): submitted as entry {}", draft["entry"]),
        Some("pending") => {
            let missing: Vec<&str> = draft["missing"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["needed"].as_str())
                .collect();
            format!(
                "draft {id} ({what}): waiting for {}; expires {}",
                missing.join("; "),
                draft["expires_at"].as_str().unwrap_or("?")
            )
        }
        Some(other) => format!("draft {id} ({what}): {other}"),
        None => format!("draft {id} ({what})"),
    }
}

/// Opens a draft on `server` with a signed envelope.
pub(super) async fn open(server: &str, envelope: &Envelope) -> Result<()> {
    let draft = post(server, "/api/v1/drafts", envelope).await?;
    println!("{}", summary(&draft));
    Ok(())
}

/// Adds the signature of the key in `key_path` to draft `id` on `server`,
/// after showing the statement and asking.
pub(super) async fn cosign(server: &str, id: &str, key_path: &Path, yes: bool) -> Result<()> {
    let signer = keys::load_signing_key(key_path)?;
    let draft = get(server, &format!("/api/v1/drafts/{id}")).await?;
    let envelope: Envelope = serde_json::from_value(draft["envelope"].clone())
        .context("the server's draft has no envelope")?;
    let statement = official::statement_of(&envelope, "the draft")?;
    let payload = statement::canonical_json(&statement);
    let keyid = statement::keyid_of(&signer.signing_key().verifying_key());
    eprint!(
        "{}",
        official::describe_for_signing(&statement, Some(&envelope), signer.name(), &keyid)
    );
    eprintln!("  {}", summary(&draft));
    if !yes {
        official::confirm("Sign this statement?")?;
    }
    use ed25519_dalek::Signer as _;
    let sig = signer.signing_key().sign(&pae(PAYLOAD_TYPE, &payload));
    let body = serde_json::json!({
        "keyid": keyid,
        "sig": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sig.to_bytes()),
    });
    let draft = post(server, &format!("/api/v1/drafts/{id}/signatures"), &body).await?;
    println!("{}", summary(&draft));
    Ok(())
}

/// Lists the drafts concerning `office` (or all) on `server`.
pub(super) async fn list(server: &str, office: Option<&str>, status: &str) -> Result<()> {
    let mut query = format!("?status={status}");
    if let Some(office) = office {
        query.push_str(&format!("&office={office}"));
    }
    let drafts = get(server, &format!("/api/v1/drafts{query}")).await?;
    let drafts = drafts.as_array().cloned().unwrap_or_default();
    if drafts.is_empty() {
        println!("no {status} drafts");
    }
    for draft in drafts {
        println!("{}", summary(&draft));
    }
    Ok(())
}
