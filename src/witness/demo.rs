//! The demonstration's witnesses: two cosigners with public keys derived
//! from their names, standing for the Inspektorat and the DPRD. They run
//! inside `prasasti serve --demo` so the first command shows witnessed
//! checkpoints; anyone can sign as them, so they prove nothing outside a
//! demonstration.

use sha2::{Digest, Sha256};

use crate::tlog::cosignature::Cosigner;

/// Each demo witness: its name in the policy and its key's name.
pub const DEMO_WITNESSES: [(&str, &str); 2] = [
    ("inspektorat-demo", "demo.saksi.example/inspektorat"),
    ("dprd-demo", "demo.saksi.example/dprd"),
];

/// The demo witnesses' cosigners, in [`DEMO_WITNESSES`] order.
pub fn cosigners() -> Vec<(&'static str, Cosigner)> {
    DEMO_WITNESSES
        .iter()
        .map(|(name, key_name)| {
            let seed: [u8; 32] =
                Sha256::digest(format!("prasasti demo witness {key_name}").as_bytes()).into();
            let cosigner = Cosigner::from_seed(key_name, seed)
                .unwrap_or_else(|_| unreachable!("the demo witnesses' names are valid"));
            (*name, cosigner)
        })
        .collect()
}

/// The demo policy: `log` the given verifier key, both demo witnesses at
/// their URLs (in [`DEMO_WITNESSES`] order), and both needed.
pub fn policy(log_vkey: &str, urls: &[String]) -> String {
    let mut text = String::from(
        "# DEMO witness policy: the demo witnesses' keys are public, so their cosignatures prove nothing outside a demonstration.\n",
    );
    text.push_str(&format!("log {log_vkey}\n"));
    for ((name, cosigner), url) in cosigners().iter().zip(urls) {
        text.push_str(&format!(
            "witness {name} {} {url}\n",
            cosigner.verifier().to_vkey_string()
        ));
    }
    let names: Vec<&str> = DEMO_WITNESSES.iter().map(|(n, _)| *n).collect();
    text.push_str(&format!(
        "group demo all {}\nquorum demo\n",
        names.join(" ")
    ));
    text
}
