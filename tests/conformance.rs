//! Known-answer tests: RFC 9162 proof cases from transparency-dev/merkle and
//! the C2SP signed-note vectors (see tests/data/*/README.md and LICENSE).

use std::path::{Path, PathBuf};

use prasasti::tlog::checkpoint::Checkpoint;
use prasasti::tlog::hash::{Hash, leaf_hash, root_of, sha256};
use prasasti::tlog::note::{self, NoteSigner, NoteVerifier};
use prasasti::tlog::proof::{verify_consistency, verify_inclusion};
use serde::Deserialize;

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(json_files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The cases give some values that are not 32 bytes long (empty strings,
/// "don't care" placeholders). They are mapped to hashes injectively, so
/// equal values stay equal and none can equal a genuinely computed hash.
fn hash_of(b64: &str) -> Hash {
    Hash::from_base64(b64).unwrap_or_else(|_| sha256(format!("not a hash: {b64}").as_bytes()))
}

fn hashes(list: &Option<Vec<String>>) -> Vec<Hash> {
    list.iter().flatten().map(|h| hash_of(h)).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionCase {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsistencyCase {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

#[test]
fn every_inclusion_case_is_decided_as_the_vectors_say() {
    let files = json_files(&data("merkle/inclusion"));
    assert!(files.len() > 50, "conformance data missing");
    for file in files {
        let case: InclusionCase = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        // A leaf hash that is not 32 bytes is refused before any hashing,
        // as the reference verifier does.
        let got = Hash::from_base64(&case.leaf_hash)
            .map_err(|e| e.to_string())
            .and_then(|leaf| {
                verify_inclusion(
                    case.leaf_idx,
                    case.tree_size,
                    &leaf,
                    &hashes(&case.proof),
                    &hash_of(&case.root),
                )
                .map_err(|e| e.to_string())
            });
        assert_eq!(
            got.is_err(),
            case.want_err,
            "{} ({}): {got:?}",
            file.display(),
            case.desc
        );
    }
}

#[test]
fn every_consistency_case_is_decided_as_the_vectors_say() {
    let files = json_files(&data("merkle/consistency"));
    assert!(files.len() > 50, "conformance data missing");
    for file in files {
        let case: ConsistencyCase = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let got = verify_consistency(
            case.size1,
            case.size2,
            &hashes(&case.proof),
            &hash_of(&case.root1),
            &hash_of(&case.root2),
        );
        assert_eq!(
            got.is_err(),
            case.want_err,
            "{} ({}): {got:?}",
            file.display(),
            case.desc
        );
    }
}

#[test]
fn reference_roots_match() {
    let leaves: Vec<Vec<u8>> = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).unwrap())
    .collect();
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    assert_eq!(
        root_of(&[]).to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        root_of(&hashes).to_hex(),
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    );
    assert!(root_of(&hashes[..1]).to_hex().starts_with("6e340b9c"));
    assert!(root_of(&hashes[..4]).to_hex().starts_with("d37ee418"));
}

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn go_note_vector_signs_byte_for_byte() {
    let signer = NoteSigner::parse(PETER_SKEY).unwrap();
    assert_eq!(signer.to_private_string(), PETER_SKEY);
    assert_eq!(signer.verifier().to_vkey_string(), PETER_VKEY);
    let signed = note::sign(PETER_TEXT, &[&signer]).unwrap();
    assert_eq!(signed, format!("{PETER_TEXT}\n{PETER_SIG}"));
    let verifier = NoteVerifier::parse(PETER_VKEY).unwrap();
    let opened = note::open(&signed, &[verifier]).unwrap();
    assert_eq!(opened.text, PETER_TEXT);
    assert_eq!(opened.verified.len(), 1);
}

#[test]
fn c2sp_and_production_key_ids_recompute() {
    for vkey in [
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        PETER_VKEY,
    ] {
        let v = NoteVerifier::parse(vkey).unwrap();
        assert_eq!(v.to_vkey_string(), vkey);
    }
    // A wrong key ID is refused.
    assert!(
        NoteVerifier::parse(
            "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
        )
        .is_err()
    );
}

#[test]
fn notes_are_refused_when_tampered_or_unsigned_by_known_keys() {
    let signer = NoteSigner::parse(PETER_SKEY).unwrap();
    let verifier = signer.verifier();
    let signed = note::sign(PETER_TEXT, &[&signer]).unwrap();
    let tampered = signed.replace("cryptography", "cryptographx");
    assert!(matches!(
        note::open(&tampered, std::slice::from_ref(&verifier)),
        Err(note::NoteError::InvalidSignature { .. })
    ));
    let other = NoteSigner::from_seed("other", [7; 32]).unwrap();
    assert_eq!(
        note::open(&signed, &[other.verifier()]),
        Err(note::NoteError::NoKnownSignature)
    );
    // A signature by an unknown key beside a known one is ignored.
    let both = note::sign(PETER_TEXT, &[&other, &signer]).unwrap();
    let opened = note::open(&both, std::slice::from_ref(&verifier)).unwrap();
    assert_eq!((opened.verified.len(), opened.unverified.len()), (1, 1));
    // The same known signature twice is malformed.
    let twice = format!("{signed}{PETER_SIG}");
    assert!(note::open(&twice, &[verifier]).is_err());
}

#[test]
fn checkpoints_round_trip_and_reject_malformed_bodies() {
    let signer = NoteSigner::from_seed("example.org/log", [1; 32]).unwrap();
    let cp = Checkpoint {
        origin: "example.org/log".into(),
        size: 42,
        root: leaf_hash(b"x"),
    };
    let signed = cp.sign(&signer).unwrap();
    assert_eq!(Checkpoint::open(&signed, &signer.verifier()).unwrap(), cp);
    for bad in [
        "example.org/log\n042\nAAAA\n",
        "example.org/log\n1\n",
        "\n1\nAAAA\n",
        "example.org/log\n1\nAAAA",
    ] {
        assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
    }
    // The verifier key's name must be the origin.
    let stranger = NoteSigner::from_seed("example.org/other", [1; 32]).unwrap();
    let cp2 = Checkpoint {
        origin: "example.org/log".into(),
        ..cp
    };
    let wrong = note::sign(&cp2.body(), &[&stranger]).unwrap();
    assert!(Checkpoint::open(&wrong, &stranger.verifier()).is_err());
}
