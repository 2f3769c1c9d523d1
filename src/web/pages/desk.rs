//! Meja Tanda Tangan: the officials' signing desk. The page is a shell;
//! its script (`/static/meja.js`) keeps the official's key in this browser
//! and builds every form from the statement types' schemas.

use super::*;

pub(in crate::web) async fn desk(State(ledger): State<Ledger>, lang: Lang) -> Page {
    let body = html! {
        h1 { (lang.t("Meja Tanda Tangan", "Signing desk")) }
        p { (lang.t(
            "Di sini pejabat menyusun, menandatangani bersama, dan mengirim pernyataan ke buku besar. Kunci pribadi Anda tetap di perangkat ini: peramban menandatangani, server hanya menerima tanda tangannya.",
            "Here officials draft, co-sign and submit statements to the ledger. Your private key stays on this device: the browser signs, the server only receives signatures."
        )) }
        p #insecure .warning role="alert" hidden {}
        noscript { p.warning { (lang.t("Meja ini memerlukan JavaScript.", "The desk needs JavaScript.")) } }
        div #desk data-origin=(ledger.origin()) {
            section #desk-key {
                h2 { (lang.t("1. Kunci di perangkat ini", "1. Keys on this device")) }
                ul #key-list {}
                form #key-load {
                    p {
                        label for="key-file" { (lang.t("Muat kunci: pilih berkas kunci Anda (dari prasasti keygen)", "Load a key: pick your key file (from prasasti keygen)")) }
                        br;
                        input #key-file type="file" accept=".key,text/plain";
                    }
                    fieldset {
                        legend { (lang.t("Di mana kunci disimpan", "Where the key is kept")) }
                        label {
                            input #keep-device type="radio" name="keep" value="device" checked;
                            " " (lang.t(
                                "Simpan di perangkat ini: dimuat sekali, dipakai lagi di peramban ini. Siapa pun yang dapat memakai profil peramban ini dapat menandatangani atas nama Anda.",
                                "Keep on this device: loaded once, used again in this browser. Anyone who can use this browser profile can sign in your name."
                            ))
                        }
                        br;
                        label {
                            input #keep-session type="radio" name="keep" value="session";
                            " " (lang.t(
                                "Hanya untuk sesi ini: tidak disimpan; hilang saat halaman ditutup. Pilihan yang tepat di komputer kantor bersama.",
                                "Only for this session: nothing is stored; gone when the page closes. The right choice on a shared office computer."
                            ))
                        }
                    }
                    button type="submit" { (lang.t("Muat kunci", "Load key")) }
                }
                p {
                    label for="key-label" { (lang.t("Atau buat kunci baru di perangkat ini, dengan nama:", "Or make a new key on this device, named:")) }
                    " "
                    input #key-label type="text" size="20" placeholder=(lang.t("nama-anda", "your-name"));
                    " "
                    button #key-generate type="button" { (lang.t("Buat kunci di perangkat ini", "Make a key on this device")) }
                    " "
                    a #enrolment-link hidden {}
                }
                p #key-message role="status" {}
            }
            section #desk-whoami {
                h2 { (lang.t("2. Siapa saya", "2. Who am I")) }
                div #whoami {}
            }
            section #desk-inbox {
                h2 { (lang.t("3. Kotak masuk kantor saya", "3. My office's inbox")) }
                ul #inbox {}
                form #draft-open {
                    label for="draft-id" { (lang.t("Buka draf dengan kodenya:", "Open a draft by its id:")) }
                    " "
                    input #draft-id type="text" size="34" spellcheck="false";
                    " "
                    button type="submit" { (lang.t("Buka", "Open")) }
                }
            }
            section #desk-compose {
                h2 { (lang.t("4. Susun pernyataan", "4. Draft a statement")) }
                form #statement-form {
                    p {
                        label for="statement-type" { (lang.t("Jenis pernyataan", "Kind of statement")) }
                        br;
                        select #statement-type {}
                    }
                    div #statement-fields {}
                    button type="submit" { (lang.t("Tinjau sebelum menandatangani", "Review before signing")) }
                }
            }
            section #desk-review hidden {
                h2 { (lang.t("5. Yang akan Anda tandatangani", "5. What you are signing")) }
                p #review-words .lead {}
                p { (lang.t("SHA-256 pernyataan: ", "SHA-256 of the statement: ")) code #review-sha .hash {} }
                details open {
                    summary { (lang.t("JSON kanonik (persis byte yang ditandatangani)", "Canonical JSON (exactly the bytes signed)")) }
                    pre #review-json {}
                }
                button #sign-button type="button" { (lang.t("Tandatangani", "Sign")) }
                " "
                button #cancel-button type="button" { (lang.t("Batal", "Cancel")) }
            }
            section #desk-result {
                div #result role="status" aria-live="polite" {}
            }
        }
        script src="/static/bytes.js" {}
        script src="/static/meja.js" {}
    };
    section(lang, Nav::Desk, body)
}
