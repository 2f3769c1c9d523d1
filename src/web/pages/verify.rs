//! Verifikasi: the page whose script checks an entry and the checkpoint in the visitor's browser.

use super::*;

#[derive(Deserialize, Default)]
pub(in crate::web) struct VerifyQuery {
    entry: Option<u64>,
}

pub(in crate::web) async fn verification(
    State(ledger): State<Ledger>,
    Current(folded): Current,
    Query(q): Query<VerifyQuery>,
    lang: Lang,
) -> Page {
    let vkey = ledger.verifier().to_vkey_string();
    let witnessed = super::witnesses::witnessed(&ledger)
        .await
        .or_internal(lang)?;
    let policy = witnessed
        .as_ref()
        .map(|w| w.policy.clone())
        .unwrap_or_default();
    let steps = [
        ("checkpoint", lang.t(
            "Checkpoint terbaru ditandatangani dengan kunci log di atas",
            "The latest checkpoint is signed with the log key above",
        )),
        ("quorum", lang.t(
            "Checkpoint itu ditandatangani bersama oleh cukup saksi menurut kebijakan saksi di atas",
            "That checkpoint is cosigned by enough witnesses, as the witness policy above requires",
        )),
        ("leaf", lang.t(
            "Hash daun entri dihitung ulang dari JSON kanoniknya",
            "The entry's leaf hash is recomputed from its canonical JSON",
        )),
        ("inclusion", lang.t(
            "Bukti inklusi entri mengarah ke akar yang ditandatangani",
            "The entry's inclusion proof leads to the signed root",
        )),
        ("signatures", lang.t(
            "Tanda tangan DSSE para pejabat pada pernyataan itu sah",
            "The officials' DSSE signatures on the statement are valid",
        )),
        ("consistency", lang.t(
            "Log ini memperpanjang checkpoint terakhir yang dilihat peramban ini (tidak ditulis ulang, tidak dimundurkan)",
            "This log extends the last checkpoint this browser saw (not rewritten, not rolled back)",
        )),
    ];
    let messages = serde_json::json!({
        "bad_key": lang.t("kunci log ini tidak berbentuk nama+id+kunci Ed25519 yang sah", "this log key is not a valid name+id+Ed25519 key"),
        "not_signed": lang.t("checkpoint tidak bertanda tangan", "the checkpoint is not signed"),
        "not_signed_by": lang.t("tidak ada tanda tangan sah oleh {name}", "no valid signature by {name}"),
        "other_log": lang.t("checkpoint ini milik log lain: {name}", "this checkpoint belongs to another log: {name}"),
        "malformed": lang.t("data dari server rusak", "the server's data is malformed"),
        "http": lang.t("{path}: server menjawab HTTP {status}", "{path}: the server answered HTTP {status}"),
        "wrong_index": lang.t("entri mengaku bernomor {index}", "the entry says it is #{index}"),
        "no_entry": lang.t("entri tidak dapat dibaca", "the entry could not be read"),
        "wrong_root": lang.t("bukti mengarah ke akar lain: {root}", "the proof leads to another root: {root}"),
        "bad_proof": lang.t("panjang bukti tidak cocok dengan ukuran pohon", "the proof's length does not fit the tree size"),
        "unsigned": lang.t("pernyataan tidak bertanda tangan", "the statement is not signed"),
        "bad_signature": lang.t("kunci {key} tidak menandatangani pernyataan ini", "key {key} did not sign this statement"),
        "bad_policy": lang.t("kebijakan saksi, baris {line}: {problem}", "witness policy, line {line}: {problem}"),
        "policy_other_key": lang.t("kebijakan saksi menyebut kunci lain untuk log ini", "the witness policy names another key for this log"),
        "no_cosignature": lang.t("tidak ada tanda tangan bersama yang sah oleh {name}", "no valid cosignature by {name}"),
        "future": lang.t("tanda tangan bersama {name} bertanggal di masa depan", "{name}'s cosignature is dated in the future"),
        "quorum_unmet": lang.t("kebijakan tidak terpenuhi: ditandatangani bersama oleh {names}", "the policy is not met: cosigned by {names}"),
        "nobody": lang.t("tidak seorang saksi pun", "no witness at all"),
        "no_policy": lang.t("tanpa kebijakan saksi: tidak diperiksa", "no witness policy: not checked"),
    })
    .to_string();
    let body = html! {
        h1 { (lang.t("Verifikasi di peramban Anda", "Verify in your browser")) }
        p { (lang.t(
            "Halaman ini tidak meminta Anda memercayai server. Peramban Anda sendiri memeriksa tanda tangan checkpoint dengan kunci log, menghitung ulang hash entri, memeriksa bukti inklusi dan tanda tangan pejabat, dan memastikan log tidak ditulis ulang sejak kunjungan terakhir Anda. Dengan begitu setiap pengunjung ikut menjadi saksi.",
            "This page does not ask you to trust the server. Your own browser checks the checkpoint's signature with the log key, recomputes the entry's hash, checks its inclusion proof and the officials' signatures, and makes sure the log was not rewritten since your last visit. Every visitor is a witness."
        )) }
        form #verify-form
            data-autorun=(if q.entry.is_some() { "true" } else { "false" })
            data-messages=(messages)
            data-stopped=(lang.t("Pemeriksaan berhenti: checkpoint tidak dapat dipercaya.", "Stopped: the checkpoint cannot be trusted."))
            data-finished=(lang.t("Pemeriksaan selesai.", "Checks finished."))
            data-first=(lang.t("kunjungan pertama: checkpoint ini diingat", "first visit: this checkpoint is remembered"))
            data-rollback=(lang.t("log dimundurkan: dulu {old} entri, sekarang {new}", "the log was rolled back: {old} entries before, {new} now"))
            data-forked=(lang.t("log ditulis ulang: tidak konsisten dengan checkpoint {old} entri yang dilihat sebelumnya", "the log was rewritten: it is not consistent with the checkpoint of {old} entries seen before"))
            data-witness-label=(lang.t("Tanda tangan bersama saksi {name}", "Cosignature of witness {name}"))
            data-key-changed=(lang.t("PERINGATAN: kunci log ini berbeda dari kunci {old} yang dipakai peramban ini sebelumnya untuk log yang sama. Jangan percayai hasilnya sebelum Anda memastikan kunci yang benar dari sumber resmi.", "WARNING: this log key differs from the key {old} this browser used before for the same log. Do not trust the results until you have confirmed the right key from an official source."))
        {
            p {
                label for="vkey" { (lang.t("Kunci log (bandingkan dengan yang diumumkan, misalnya dalam keputusan bupati)", "Log key (compare it with the one published, for example in the regent's decree)")) }
                br;
                input #vkey name="vkey" type="text" size="80" value=(vkey) spellcheck="false" autocomplete="off";
                br;
                (lang.t("Sidik jari kunci: ", "Key fingerprint: "))
                code #key-fingerprint { "…" }
            }
            p #key-warning .warning role="alert" hidden {}
            p {
                label for="policy" { (lang.t(
                    "Kebijakan saksi (c2sp.org/tlog-policy): bandingkan dengan yang diumumkan, atau tempelkan kebijakan dari sumber lain. Kosong: saksi tidak diperiksa.",
                    "Witness policy (c2sp.org/tlog-policy): compare it with the one published, or paste one from elsewhere. Empty: witnesses are not checked."
                )) }
                br;
                textarea #policy name="policy" rows="6" cols="80" wrap="off" spellcheck="false" autocomplete="off" { (policy) }
            }
            p {
                label for="entry" { (lang.t("Nomor entri (kosong: entri terbaru)", "Entry number (empty: the latest)")) }
                br;
                input #entry name="entry" type="number" min="0" value=[q.entry];
            }
            button type="submit" { (lang.t("Periksa", "Verify")) }
        }
        ol #verify-steps aria-live="polite" {
            @for (name, label) in steps {
                li data-step=(name)
                    data-pass=(lang.t("LULUS", "PASS"))
                    data-fail=(lang.t("GAGAL", "FAIL"))
                    data-waiting=(lang.t("memeriksa…", "checking…"))
                    data-skipped=(lang.t("TIDAK DIPERIKSA", "NOT CHECKED"))
                {
                    span.result.badge.neutral { (lang.t("belum diperiksa", "not checked yet")) }
                    " " span.label { (label) }
                    br;
                    span.detail.muted.hash {}
                }
            }
        }
        p #verify-done role="status" {}
        section #verified hidden {
            h2 { (lang.t("Pernyataan yang diperiksa", "The statement checked")) }
            p #verified-summary {}
            pre #verified-statement .hash {}
        }
        h2 { (lang.t("Dengan baris perintah", "From the command line")) }
        p { (lang.t(
            "Auditor dapat memeriksa seluruh log dan aturan tata kelolanya tanpa peramban:",
            "Auditors can check the whole log and its governance rules without a browser:"
        )) }
        @if witnessed.is_some() {
            pre { "# " (lang.t("simpan kebijakan saksi di atas sebagai", "save the witness policy above as")) " witness-policy.txt\nprasasti verify --server <URL> --policy witness-policy.txt" }
        } @else {
            pre { "echo '" (vkey) "' > ledger.vkey\nprasasti verify --server <URL> --vkey ledger.vkey" }
        }
        @if let Some(w) = &witnessed {
            h2 { (lang.t("Saksi", "Witnesses")) }
            (super::witnesses::witnesses_block(&folded.state, lang, w))
        }
        script src="/static/bytes.js" {}
        script src="/static/verify.js" {}
    };
    section(lang, Nav::Verify, body)
}
