//! Demonstration statements for a new ledger, so a first run has something
//! to read and verify. The people are fictional.

use std::path::Path;

use anyhow::Result;
use serde_json::{Value, json};

use super::keys;
use crate::ledger::Ledger;
use crate::ledger::statement::{VerifiedEnvelope, seal};

/// Appends the demonstration statements when the ledger is empty.
pub async fn seed(ledger: &Ledger, keys_dir: &Path) -> Result<()> {
    if ledger.latest_checkpoint().await?.tree_size > 0 {
        return Ok(());
    }
    let dir = keys_dir.join("demo");
    let key_path = dir.join("demo-official.key");
    if !key_path.exists() {
        keys::keygen("demo-official", &dir)?;
    }
    let signer = keys::load_signing_key(&key_path)?;
    let origin = ledger.origin();
    let statements: Vec<Value> = vec![
        json!({"type": "demo.programme", "id": "demo:programme:sapa-warga", "ledger": origin,
               "title": "Sapa Warga: one complaint channel for every OPD", "pillar": "governance",
               "horizon": "quick_win", "owner": "Diskominfo Kabupaten Karanganyar"}),
        json!({"type": "demo.commitment", "id": "demo:commitment:sapa-warga:2025", "ledger": origin,
               "programme": "demo:programme:sapa-warga", "title": "All 17 kecamatan connected",
               "budget": {"amount": "1250000000", "currency": "IDR"}, "due": "2025-12-31"}),
        json!({"type": "demo.programme", "id": "demo:programme:wisata-cetho", "ledger": origin,
               "title": "Smart tourism at Candi Cetho and Tawangmangu", "pillar": "branding",
               "horizon": "medium", "owner": "Dinas Pariwisata"}),
        json!({"type": "demo.milestone", "id": "demo:milestone:sapa-warga:pilot", "ledger": origin,
               "commitment": "demo:commitment:sapa-warga:2025", "status": "met",
               "note": "Pilot in Kecamatan Tawangmangu and Karanganyar"}),
    ];
    for statement in statements {
        let Value::Object(object) = statement else {
            continue;
        };
        let envelope = seal(&object, signer.signing_key());
        let verified = VerifiedEnvelope::check(envelope, origin)?;
        ledger.submit(verified).await?;
    }
    Ok(())
}
