//! The pages. Each handler reads the current state (or the log), and
//! renders it with maud, which escapes every value it prints.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::i18n::*;
use crate::governance::State as GovState;
use crate::governance::model::Horizon;
use crate::governance::state::{Commitment, Signer};
use crate::governance::views::{MilestoneView, ProgrammeFilter, ProgrammeStatus};
use crate::governance::{Folded, Governance};
use crate::ledger::Ledger;
use crate::ledger::entry::Entry;
use crate::tlog::hash::leaf_hash;

mod continuity;
mod desk;
mod home;
mod ledger;
mod programmes;
mod verify;
mod witnesses;

pub(super) use self::continuity::continuity;
pub(super) use self::desk::desk;
pub(super) use self::home::home;
pub(super) use self::ledger::{entry, ledger};
pub(super) use self::programmes::{programme, programmes};
pub(super) use self::verify::verification;

/// Entries per page of the ledger explorer.
const LEDGER_PAGE: u64 = 50;

#[derive(Deserialize, Default)]
pub(super) struct ProgrammeQuery {
    pillar: Option<String>,
    horizon: Option<String>,
    status: Option<String>,
    owner: Option<String>,
    q: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct LedgerQuery {
    before: Option<u64>,
    /// Only the entries that concerned this programme.
    program: Option<String>,
}

/// Which entry of the navigation a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nav {
    Home,
    Programmes,
    Continuity,
    Ledger,
    Verify,
    Desk,
}

impl Nav {
    /// The section's own page: its title and address.
    fn page(self, lang: Lang) -> (&'static str, &'static str) {
        match self {
            Nav::Home => (lang.t("Beranda", "Home"), "/"),
            Nav::Programmes => (lang.t("Program", "Programmes"), "/program"),
            Nav::Continuity => (lang.t("Kesinambungan", "Continuity"), "/kesinambungan"),
            Nav::Ledger => (lang.t("Buku besar", "Ledger"), "/ledger"),
            Nav::Verify => (lang.t("Verifikasi", "Verify"), "/verifikasi"),
            Nav::Desk => (lang.t("Meja Tanda Tangan", "Signing desk"), "/meja"),
        }
    }
}

/// A page that could not be made.
pub(super) struct PageError(StatusCode, Lang, String);

/// What a page handler returns.
type Page = Result<Html<String>, PageError>;

/// The current governance state, read for a page; failing to read it
/// is the 500 page.
pub(super) struct Current(Arc<Folded>);

impl<S> FromRequestParts<S> for Current
where
    Governance: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        let Ok(lang) = Lang::from_request_parts(parts, state).await;
        let governance = Governance::from_ref(state);
        governance.current().await.map(Current).or_internal(lang)
    }
}

/// A section's own page (the ones in the navigation).
fn section(lang: Lang, nav: Nav, body: Markup) -> Page {
    let (title, path) = nav.page(lang);
    Ok(layout(lang, title, Some(nav), path, body))
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError(status, lang, message) = self;
        let title = match status {
            StatusCode::NOT_FOUND => lang.t("Tidak ditemukan", "Not found"),
            StatusCode::INTERNAL_SERVER_ERROR => lang.t("Kesalahan server", "Server error"),
            _ => lang.t(
                "Permintaan tidak dapat dilayani",
                "The request cannot be served",
            ),
        };
        let body = layout(
            lang,
            title,
            None,
            "/",
            html! { h1 { (status.as_u16()) } p { (message) } },
        );
        (status, body).into_response()
    }
}

fn internal(lang: Lang, cause: impl std::fmt::Display) -> PageError {
    tracing::error!(%cause, "page failed");
    PageError(
        StatusCode::INTERNAL_SERVER_ERROR,
        lang,
        lang.t(
            "Terjadi kesalahan di server; penyebabnya tercatat di log server.",
            "The server failed; the cause is in its log.",
        )
        .to_owned(),
    )
}

/// `result.or_internal(lang)?`: a failure becomes the 500 page, its cause logged.
trait OrInternal<T> {
    fn or_internal(self, lang: Lang) -> Result<T, PageError>;
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| internal(lang, e))
    }
}

fn not_found(lang: Lang, what: String) -> PageError {
    PageError(StatusCode::NOT_FOUND, lang, what)
}

/// The page for a programme id the ledger does not know.
fn no_programme(lang: Lang, id: &str) -> PageError {
    not_found(
        lang,
        format!(
            "{} {id}",
            lang.t("Tidak ada program", "There is no programme")
        ),
    )
}

fn layout(lang: Lang, title: &str, nav: Option<Nav>, path: &str, body: Markup) -> Html<String> {
    let item = |n: Nav, href: &str, label: &str| {
        html! {
            li { a href=(lang.link(href)) aria-current=[(nav == Some(n)).then_some("page")] { (label) } }
        }
    };
    let other = match lang {
        Lang::Id => (
            format!(
                "{path}{}lang=en",
                if path.contains('?') { '&' } else { '?' }
            ),
            "English",
        ),
        Lang::En => (
            format!(
                "{path}{}lang=id",
                if path.contains('?') { '&' } else { '?' }
            ),
            "Bahasa Indonesia",
        ),
    };
    let page = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — prasasti" }
                link rel="stylesheet" href="/static/site.css";
                link rel="alternate" type="application/atom+xml" href="/feed.atom" title=(lang.t("Entri baru", "New entries"));
            }
            body {
                a.skip href="#main" { (lang.t("Langsung ke isi", "Skip to content")) }
                header.site {
                    a.lang href=(other.0) hreflang=(if lang == Lang::Id { "en" } else { "id" }) { (other.1) }
                    a.brand href=(lang.link("/")) { "prasasti" }
                    span { (lang.t("Catatan kesinambungan program", "Programme continuity record")) }
                    nav.main aria-label=(lang.t("Navigasi utama", "Main navigation")) {
                        ul {
                            (item(Nav::Home, "/", lang.t("Beranda", "Home")))
                            (item(Nav::Programmes, "/program", lang.t("Program", "Programmes")))
                            (item(Nav::Continuity, "/kesinambungan", lang.t("Kesinambungan", "Continuity")))
                            (item(Nav::Ledger, "/ledger", lang.t("Buku besar", "Ledger")))
                            (item(Nav::Verify, "/verifikasi", lang.t("Verifikasi", "Verify")))
                            (item(Nav::Desk, "/meja", lang.t("Meja TTD", "Desk")))
                        }
                    }
                }
                main #main { (body) }
                footer {
                    (lang.t(
                        "Setiap pernyataan di situs ini ditandatangani pejabatnya dan tercatat dalam log Merkle yang hanya dapat ditambah. Periksa sendiri dengan perintah prasasti verify.",
                        "Every statement on this site is signed by its officials and recorded in an append-only Merkle log. Check it yourself with the prasasti verify command."
                    ))
                }
            }
        }
    };
    Html(page.into_string())
}

fn badge(b: Badge) -> Markup {
    html! { span class={"badge " (b.class)} { (b.text) } }
}

fn pillar_name(state: &GovState, lang: Lang, id: &str) -> String {
    state
        .charter
        .as_ref()
        .and_then(|c| c.pillars.iter().find(|p| p.id.as_str() == id))
        .map_or_else(
            || id.to_owned(),
            |p| match lang {
                Lang::Id => p.name_id.to_string(),
                Lang::En => p.name_en.to_string(),
            },
        )
}

fn office_name(state: &GovState, id: &str) -> String {
    state
        .offices
        .get(id)
        .map_or_else(|| id.to_owned(), |o| o.spec.name.to_string())
}

/// Several signers, comma-separated.
fn signers_text(state: &GovState, signers: &[Signer]) -> String {
    signers
        .iter()
        .map(|s| signer_text(state, s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn signer_text(state: &GovState, s: &Signer) -> String {
    let name = s
        .name
        .clone()
        .unwrap_or_else(|| format!("{}…", &s.keyid[..16.min(s.keyid.len())]));
    match &s.office {
        Some(o) => format!("{name} ({})", office_name(state, o)),
        None => name,
    }
}

fn entry_link(lang: Lang, index: u64) -> Markup {
    html! { a href=(lang.link(&format!("/ledger/{index}"))) { "#" (index) } }
}

/// What an entry's statement says, in the reader's language.
pub(super) fn entry_words(state: &GovState, lang: Lang, entry: &Entry) -> String {
    let Some(statement) = decode_statement(entry) else {
        return String::new();
    };
    let words = state.words_of(&statement);
    match lang {
        Lang::Id => words.id,
        Lang::En => words.en,
    }
}

/// When an entry was recorded, in the government's time zone.
pub(super) fn entry_time(state: &GovState, entry: &Entry) -> String {
    state.local_time(entry.recorded_at.instant())
}

pub(super) fn statement_type(entry: &Entry) -> String {
    decode_statement(entry)
        .and_then(|s| s.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

fn decode_statement(entry: &Entry) -> Option<serde_json::Map<String, serde_json::Value>> {
    let bytes = STANDARD.decode(entry.envelope.payload.as_bytes()).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

fn parse_filter<T: serde::de::DeserializeOwned>(value: &Option<String>) -> Option<T> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .and_then(|v| serde_json::from_value(serde_json::Value::String(v.to_owned())).ok())
}
