//! For officials: templates, signing and co-signing, submitting.

use super::*;

/// A server's JSON answer; a refusal becomes the sentence that says what
/// to do about it.
pub(super) async fn answer(url: &str, response: reqwest::Response) -> Result<Value> {
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
    Ok(answer)
}

/// A server refusal as a sentence the official can act on.
pub(super) fn refusal_sentence(status: u16, code: &str, message: &str) -> String {
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

/// Signs a statement (or co-signs an envelope) after showing it and asking.
pub(super) fn sign(
    key_path: &Path,
    ledger: Option<&str>,
    yes: bool,
    file: &Path,
) -> Result<Envelope> {
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
        let statement = statement_of(&envelope, "the envelope")?;
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
    Ok(envelope)
}

/// The statement an envelope carries, refusing a payload that is not the
/// canonical form of a JSON object (it was not made by prasasti sign).
pub(super) fn statement_of(
    envelope: &Envelope,
    what: &str,
) -> Result<serde_json::Map<String, Value>> {
    let payload = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        envelope.payload.as_bytes(),
    )
    .with_context(|| format!("{what}'s payload is not base64"))?;
    let Ok(Value::Object(statement)) = serde_json::from_slice(&payload) else {
        bail!("{what}'s payload is not a JSON object");
    };
    if statement::canonical_json(&statement) != payload {
        bail!("{what}'s payload is not in canonical form; refusing to sign it");
    }
    Ok(statement)
}

/// The statement as a signer should read it before signing.
pub(super) fn describe_for_signing(
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
pub(super) fn confirm(question: &str) -> Result<()> {
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

pub(super) async fn submit(server: &str, vkey: Option<&Path>, file: &Path) -> Result<()> {
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let submitted: Envelope = serde_json::from_slice(&body)
        .with_context(|| format!("{} is not a DSSE envelope", file.display()))?;
    let url = format!("{}/api/v1/entries", server.trim_end_matches('/'));
    let response = crate::ledger::http::client()?
        .post(&url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .with_context(|| format!("sending to {url}"))?;
    let status = response.status();
    let answer = answer(&url, response).await?;
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
pub(super) fn check_submission(
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
pub(super) fn statement_label(envelope: &Envelope) -> String {
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

pub(super) async fn template(
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
            let body = crate::ledger::http::get(&url).await.with_context(|| {
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
