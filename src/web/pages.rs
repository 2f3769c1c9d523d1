//! The pages. Each handler reads the current state (or the log), and
//! renders it with maud, which escapes every value it prints.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::i18n::*;
use crate::governance::Governance;
use crate::governance::State as GovState;
use crate::governance::model::Horizon;
use crate::governance::state::{Commitment, Signer};
use crate::governance::views::{MilestoneView, ProgrammeFilter, ProgrammeStatus};
use crate::ledger::Ledger;
use crate::ledger::entry::Entry;
use crate::tlog::hash::leaf_hash;

/// Entries per page of the ledger explorer.
const LEDGER_PAGE: u64 = 50;

#[derive(Deserialize, Default)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct ProgrammeQuery {
    lang: Option<String>,
    pillar: Option<String>,
    horizon: Option<String>,
    status: Option<String>,
    owner: Option<String>,
    q: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct LedgerQuery {
    lang: Option<String>,
    before: Option<u64>,
}

/// Which entry of the navigation a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nav {
    Home,
    Programmes,
    Continuity,
    Ledger,
    Verify,
}

/// A page that could not be made.
pub(super) struct PageError(StatusCode, Lang, String);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError(status, lang, message) = self;
        let body = layout(
            lang,
            lang.t("Tidak ditemukan", "Not found"),
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

fn not_found(lang: Lang, what: String) -> PageError {
    PageError(StatusCode::NOT_FOUND, lang, what)
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

const STATUSES: [ProgrammeStatus; 5] = [
    ProgrammeStatus::Active,
    ProgrammeStatus::AwaitingReaffirmation,
    ProgrammeStatus::Completed,
    ProgrammeStatus::Discontinued,
    ProgrammeStatus::Registered,
];

fn status_colour(s: ProgrammeStatus) -> &'static str {
    match s {
        ProgrammeStatus::Active | ProgrammeStatus::Registered => "#3b4a66",
        ProgrammeStatus::AwaitingReaffirmation => "#8a5a00",
        ProgrammeStatus::Completed => "#1f6f3a",
        ProgrammeStatus::Discontinued => "#a4262c",
    }
}

/// Programme counts by status, in display order, for one pillar.
type StatusCounts = Vec<(ProgrammeStatus, usize)>;

fn pillar_counts(state: &GovState, pillar: &str) -> (usize, StatusCounts) {
    let programmes: Vec<_> = state
        .programmes
        .values()
        .filter(|x| x.spec.pillar.as_str() == pillar)
        .collect();
    let counts = STATUSES
        .iter()
        .map(|s| {
            (
                *s,
                programmes
                    .iter()
                    .filter(|x| state.programme_status(x) == *s)
                    .count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    (programmes.len(), counts)
}

/// A stacked bar of programme statuses, drawn inline.
fn status_bar(lang: Lang, counts: &StatusCounts, total: usize) -> Markup {
    const WIDTH: f64 = 200.0;
    let mut x = 0.0;
    let mut rects = Vec::new();
    for (s, n) in counts {
        let w = if total == 0 {
            0.0
        } else {
            WIDTH * (*n as f64) / (total as f64)
        };
        rects.push((format!("{x:.1}"), format!("{w:.1}"), status_colour(*s)));
        x += w;
    }
    let label = counts
        .iter()
        .map(|(s, n)| format!("{}: {n}", programme_badge(lang, *s).text))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        svg width="200" height="14" viewBox="0 0 200 14" role="img" aria-label=(label) {
            title { (label) }
            @for (x, w, fill) in &rects {
                rect x=(x) y="0" width=(w) height="14" fill=(fill) {}
            }
        }
    }
}

pub(super) async fn home(
    State(ledger): State<Ledger>,
    State(governance): State<Governance>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let folded = governance.current().await.map_err(|e| internal(lang, e))?;
    let state = &folded.state;
    let checkpoint = ledger
        .latest_checkpoint()
        .await
        .map_err(|e| internal(lang, e))?;
    let size = checkpoint.tree_size;
    let start = size.saturating_sub(10);
    let recent = ledger
        .store()
        .entries(start, size - start)
        .await
        .map_err(|e| internal(lang, e))?;
    let government = state
        .charter
        .as_ref()
        .map_or_else(String::new, |c| c.government.name.to_string());
    let pillars = state
        .charter
        .as_ref()
        .map(|c| c.pillars.clone())
        .unwrap_or_default();
    let body = html! {
        h1 { (government) }
        p { (lang.t(
            "Apa yang dijanjikan, disetujui dan diselesaikan pemerintah daerah, tercatat sehingga tidak dapat dihapus diam-diam ketika kepala daerah berganti.",
            "What the regional government promised, approved and delivered, recorded so that it cannot be quietly erased when the regional head changes."
        )) }
        h2 { (lang.t("Enam dimensi kota cerdas", "The six smart-city dimensions")) }
        div.cards {
            @for p in &pillars {
                @let (total, counts) = pillar_counts(state, p.id.as_str());
                section.card {
                    h3 { a href=(lang.link(&format!("/program?pillar={}", p.id))) { (pillar_name(state, lang, p.id.as_str())) } }
                    p { (total) " " (lang.t("program", "programmes")) }
                    (status_bar(lang, &counts, total))
                    ul.muted {
                        @for (s, n) in &counts { li { (programme_badge(lang, *s).text) ": " (n) } }
                    }
                }
            }
        }
        h2 { (lang.t("Catatan terbaru", "Recent entries")) }
        table {
            thead { tr { th { "#" } th { (lang.t("Jenis", "Type")) } th.wide { (lang.t("Dicatat", "Recorded")) } } }
            tbody {
                @for e in recent.iter().rev() {
                    @let entry = Entry::parse(&e.body).ok();
                    tr {
                        td { (entry_link(lang, e.index)) }
                        td { (entry.as_ref().map(statement_type).unwrap_or_default()) }
                        td.wide { (entry.as_ref().map(|x| x.recorded_at.to_string()).unwrap_or_default()) }
                    }
                }
            }
        }
        h2 { (lang.t("Checkpoint terbaru", "Latest checkpoint")) }
        dl {
            dt { (lang.t("Jumlah entri", "Entries")) } dd { (size) }
            dt { (lang.t("Akar Merkle", "Merkle root")) } dd.hash { (checkpoint.root.to_base64()) }
            dt { (lang.t("Ditandatangani", "Signed")) } dd { (checkpoint.signed_at) }
            dt { (lang.t("Kunci log", "Log key")) } dd.hash { (ledger.verifier().to_vkey_string()) }
        }
        p {
            a href=(lang.link("/verifikasi")) { (lang.t("Periksa di peramban Anda", "Check it in your browser")) }
            " · " (lang.t("atau dengan baris perintah:", "or from the command line:"))
        }
        pre { "echo '" (ledger.verifier().to_vkey_string()) "' > ledger.vkey\nprasasti verify --server <URL> --vkey ledger.vkey" }
        h2 { (lang.t("Data terbuka", "Open data")) }
        ul {
            @for (set, id, en) in [("programmes", "Program", "Programmes"), ("commitments", "Komitmen", "Commitments"), ("milestones", "Tonggak (OCDS)", "Milestones (OCDS)")] {
                li { (lang.t(id, en)) ": "
                    a href=(format!("/data/{set}.csv")) download { "CSV" } " · "
                    a href=(format!("/data/{set}.json")) download { "JSON" } }
            }
            li { a href="/feed.atom" { (lang.t("Umpan Atom entri baru", "Atom feed of new entries")) } }
            li { a href="/api/openapi.json" { (lang.t("API (OpenAPI)", "API (OpenAPI)")) } }
        }
    };
    Ok(layout(
        lang,
        lang.t("Beranda", "Home"),
        Some(Nav::Home),
        "/",
        body,
    ))
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

pub(super) async fn programmes(
    State(governance): State<Governance>,
    Query(q): Query<ProgrammeQuery>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let folded = governance.current().await.map_err(|e| internal(lang, e))?;
    let state = &folded.state;
    let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let filter = ProgrammeFilter {
        pillar: nonempty(&q.pillar),
        horizon: parse_filter(&q.horizon),
        status: parse_filter(&q.status),
        owner: nonempty(&q.owner),
        q: nonempty(&q.q),
        page: None,
        per_page: None,
    };
    let items = state.programme_summaries(&filter);
    let pillars = state
        .charter
        .as_ref()
        .map(|c| c.pillars.clone())
        .unwrap_or_default();
    let selected = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let body = html! {
        h1 { (lang.t("Program", "Programmes")) }
        form.filters method="get" action="/program" role="search" {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label { (lang.t("Cari judul", "Search titles")) input type="search" name="q" value=(q.q.clone().unwrap_or_default()); }
            label { (lang.t("Dimensi", "Dimension"))
                select name="pillar" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for p in &pillars {
                        option value=(p.id) selected[selected(&q.pillar, p.id.as_str())] { (pillar_name(state, lang, p.id.as_str())) }
                    }
                }
            }
            label { (lang.t("Jangka", "Horizon"))
                select name="horizon" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for (v, h) in [("quick_win", Horizon::QuickWin), ("short", Horizon::Short), ("medium", Horizon::Medium), ("long", Horizon::Long)] {
                        option value=(v) selected[selected(&q.horizon, v)] { (horizon(lang, h)) }
                    }
                }
            }
            label { (lang.t("Status", "Status"))
                select name="status" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for (v, s) in [("active", ProgrammeStatus::Active), ("awaiting_reaffirmation", ProgrammeStatus::AwaitingReaffirmation), ("completed", ProgrammeStatus::Completed), ("discontinued", ProgrammeStatus::Discontinued), ("registered", ProgrammeStatus::Registered)] {
                        option value=(v) selected[selected(&q.status, v)] { (programme_badge(lang, s).text) }
                    }
                }
            }
            label { (lang.t("Pemilik", "Owner"))
                select name="owner" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for o in state.offices.values() {
                        option value=(o.spec.id) selected[selected(&q.owner, o.spec.id.as_str())] { (o.spec.name) }
                    }
                }
            }
            button type="submit" { (lang.t("Tampilkan", "Show")) }
        }
        p.muted { (items.len()) " " (lang.t("program", "programmes")) }
        table {
            thead { tr {
                th { (lang.t("Program", "Programme")) }
                th { (lang.t("Dimensi", "Dimension")) }
                th.wide { (lang.t("Jangka", "Horizon")) }
                th.wide { (lang.t("Pemilik", "Owner")) }
                th.num.wide { (lang.t("Anggaran", "Budget")) }
                th { (lang.t("Status", "Status")) }
            } }
            tbody {
                @for p in &items {
                    tr {
                        td { a href=(lang.link(&format!("/program/{}", p.id))) { (p.title) } }
                        td { (pillar_name(state, lang, &p.pillar)) }
                        td.wide { (horizon(lang, p.horizon)) }
                        td.wide { (p.owner_name) }
                        td.num.wide { (rupiah(&p.budget)) }
                        td { (badge(programme_badge(lang, p.status))) }
                    }
                }
            }
        }
    };
    Ok(layout(
        lang,
        lang.t("Program", "Programmes"),
        Some(Nav::Programmes),
        "/program",
        body,
    ))
}

fn commitment_section(
    state: &GovState,
    lang: Lang,
    c: &Commitment,
    milestones: &[MilestoneView],
) -> Markup {
    let current = c.current();
    html! {
        section aria-labelledby=(format!("c-{}", c.id)) {
            h3 #(format!("c-{}", c.id)) { (current.title) " " (badge(commitment_badge(lang, c.status))) }
            p { (current.description) }
            table {
                thead { tr {
                    th { (lang.t("Indikator", "Indicator")) } th { (lang.t("Satuan", "Unit")) }
                    th.num { (lang.t("Awal", "Baseline")) } th.num { (lang.t("Target", "Target")) }
                } }
                tbody { @for i in &current.indicators { tr {
                    td { (i.name) } td { (i.unit) } td.num { (i.baseline) } td.num { (i.target) }
                } } }
            }
            p {
                (lang.t("Anggaran", "Budget")) ": " strong { (rupiah(current.budget.amount.as_str())) }
                " (" (current.budget.source) "), " (lang.t("tenggat", "due")) " " (current.due)
            }
            @if c.versions.len() > 1 {
                h4 { (lang.t("Riwayat perubahan", "Amendment history")) }
                ol { @for v in &c.versions { li {
                    (lang.t("Versi", "Version")) " " (v.version) " — " (entry_link(lang, v.recorded.entry)) ": "
                    (rupiah(v.budget.amount.as_str())) ", " (lang.t("tenggat", "due")) " " (v.due)
                    @if let Some(j) = &v.justification { blockquote { (j) } }
                } } }
            }
            h4 { (lang.t("Riwayat", "History")) }
            ul { @for e in &c.events { li {
                (entry_link(lang, e.recorded.entry)) " " (action_text(lang, e.action))
                @if !e.signers.is_empty() {
                    " — " (signers_text(state, &e.signers))
                }
                @if let Some(t) = &e.text { blockquote { (t) } }
            } } }
            @if !milestones.is_empty() {
                h4 { (lang.t("Tonggak", "Milestones")) }
                @for m in milestones {
                    @let ms = &m.milestone;
                    div.card {
                        strong { (ms.title) } " " (badge(milestone_badge(lang, m.shown_status)))
                        p.muted { (lang.t("Tenggat", "Due")) " " (ms.due) " · "
                            (lang.t("Penyetuju", "Approvers")) ": " (ms.approvers.iter().map(|a| office_name(state, a)).collect::<Vec<_>>().join(", ")) }
                        @for r in &ms.reports {
                            p {
                                (lang.t("Laporan", "Report")) " " (entry_link(lang, r.recorded.entry)) ": "
                                (assessed_badge(lang, r.status.into()).text) ", "
                                (lang.t("fisik", "physical")) " " (r.progress.physical_pct) "%, "
                                (lang.t("keuangan", "financial")) " " (r.progress.financial_pct) "% — "
                                (signers_text(state, &r.signers))
                            }
                            @if !r.evidence.is_empty() { ul { @for ev in &r.evidence {
                                li { (ev.title) " " code { "sha256:" (ev.sha256) } }
                            } } }
                            @if !r.approvals.is_empty() { ul { @for a in &r.approvals { li {
                                (match a.decision { crate::governance::model::Decision::Approve => lang.t("Disetujui", "Approved"), crate::governance::model::Decision::Reject => lang.t("Ditolak", "Rejected") })
                                " " (lang.t("oleh", "by")) " " (signer_text(state, &a.signer)) ", " (a.recorded.recorded_at) " " (entry_link(lang, a.recorded.entry))
                            } } } }
                        }
                    }
                }
            }
        }
    }
}

fn action_text(lang: Lang, a: crate::governance::state::CommitmentAction) -> &'static str {
    use crate::governance::state::CommitmentAction::*;
    match a {
        Made => lang.t("dibuat", "made"),
        Amended => lang.t("diubah", "amended"),
        Inherited => lang.t("diwarisi kepala daerah baru", "inherited by a new head"),
        Reaffirmed => lang.t("ditegaskan kembali", "reaffirmed"),
        Discontinued => lang.t("dihentikan", "discontinued"),
        Completed => lang.t("diselesaikan", "completed"),
    }
}

pub(super) async fn programme(
    State(governance): State<Governance>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let folded = governance.current().await.map_err(|e| internal(lang, e))?;
    let state = &folded.state;
    let view = state.programme_view(&id, Utc::now()).ok_or_else(|| {
        not_found(
            lang,
            format!(
                "{} {id}",
                lang.t("Tidak ada program", "There is no programme")
            ),
        )
    })?;
    let p = &view.programme;
    let body = html! {
        h1 { (p.spec.title) " " (badge(programme_badge(lang, view.status))) }
        dl {
            dt { (lang.t("Dimensi", "Dimension")) } dd { (pillar_name(state, lang, p.spec.pillar.as_str())) }
            dt { (lang.t("Jangka", "Horizon")) } dd { (horizon(lang, p.spec.horizon)) }
            dt { (lang.t("Pemilik", "Owner")) } dd { (office_name(state, p.spec.owner.as_str())) }
            dt { (lang.t("Periode", "Period")) } dd { (p.spec.period.from) " – " (p.spec.period.until) }
        }
        p { (p.spec.description) }
        h2 { (lang.t("Lini masa", "Timeline")) }
        (timeline(state, lang, &view))
        h2 { (lang.t("Komitmen", "Commitments")) }
        @for c in &view.commitment_details {
            (commitment_section(state, lang, &c.commitment, &c.milestone_details))
        }
        @if !view.audit_notes.is_empty() {
            h2 { (lang.t("Catatan Inspektorat", "Inspectorate notes")) }
            @for n in &view.audit_notes {
                div.card {
                    p { strong { (n.finding) } }
                    @if let Some(r) = &n.recommendation { p { (lang.t("Rekomendasi", "Recommendation")) ": " (r) } }
                    p.muted { (entry_link(lang, n.recorded.entry)) " " (signers_text(state, &n.signers)) }
                    @for r in &n.responses {
                        blockquote { (r.response) " — " (signers_text(state, &r.signers)) " " (entry_link(lang, r.recorded.entry)) }
                    }
                }
            }
        }
        h2 { (lang.t("Entri yang menyentuh program ini", "Entries that touched this programme")) }
        p { a href=(format!("/program/{id}/feed.atom")) { (lang.t("Umpan Atom program ini", "Atom feed of this programme")) } }
        p { @for i in &p.entries { (entry_link(lang, *i)) " " } }
    };
    Ok(layout(
        lang,
        p.spec.title.as_str(),
        Some(Nav::Programmes),
        &format!("/program/{id}"),
        body,
    ))
}

pub(super) async fn continuity(
    State(governance): State<Governance>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let folded = governance.current().await.map_err(|e| internal(lang, e))?;
    let state = &folded.state;
    let report = state.continuity(folded.size, Utc::now());
    let title = |c: &str| {
        state
            .commitments
            .get(c)
            .map_or_else(|| c.to_owned(), |c| c.current().title.to_string())
    };
    let list = |items: Vec<String>| {
        html! {
            @if items.is_empty() { p.muted { "—" } } @else { ul { @for i in items { li { (i) } } } }
        }
    };
    let milestone_title = |m: &String| {
        state
            .milestones
            .get(m)
            .map_or_else(|| m.clone(), |m| m.title.to_string())
    };
    let body = html! {
        h1 { (lang.t("Kesinambungan antar kepala daerah", "Continuity across regional heads")) }
        p { (lang.t(
            "Setiap kepala daerah baru mewarisi komitmen yang masih berjalan dan harus menegaskan, mengubah, atau secara terbuka menghentikannya.",
            "Each new regional head inherits the open commitments and must reaffirm, amend or openly discontinue each one."
        )) }
        @for t in &report.terms {
            section aria-labelledby=(format!("t-{}", t.mandate)) {
                h2 #(format!("t-{}", t.mandate)) { (t.holder.name) }
                p { strong { (mandate_kind(lang, t.kind)) } " · " (t.from) " – "
                    @if let Some(e) = &t.ended { (e.at) } @else if let Some(u) = &t.until { (u) } @else { (lang.t("sekarang", "now")) }
                    " · " (entry_link(lang, t.begun.entry)) }
                h3 { (lang.t("Diwarisi", "Inherited")) }
                (list(t.inherited.iter().map(|c| title(c)).collect()))
                h3 { (lang.t("Ditegaskan kembali", "Reaffirmed")) }
                (list(t.reaffirmed.iter().map(|d| d.title.clone()).collect()))
                h3 { (lang.t("Diubah", "Amended")) }
                (list(t.amended.iter().map(|d| d.title.clone()).collect()))
                h3 { (lang.t("Dihentikan", "Discontinued")) }
                @if t.discontinued.is_empty() { p.muted { "—" } }
                @for d in &t.discontinued {
                    p { (d.title) " " (entry_link(lang, d.entry)) }
                    @if let Some(j) = &d.text { blockquote { "“" (j) "”" } }
                }
                h3 { (lang.t("Dibuat", "Made")) }
                (list(t.made.iter().map(|d| d.title.clone()).collect()))
                h3 { (lang.t("Diselesaikan", "Completed")) }
                (list(t.completed.iter().map(|d| d.title.clone()).collect()))
                h3 { (lang.t("Masih menunggu penegasan", "Still awaiting reaffirmation")) }
                (list(t.left_awaiting.iter().map(|c| title(c)).collect()))
                h3 { (lang.t("Tonggak dalam masa jabatan ini", "Milestones in this term")) }
                ul {
                    @for m in &t.milestones_met { li { (badge(milestone_badge(lang, crate::governance::views::MilestoneShown::Met))) " " (milestone_title(m)) } }
                    @for m in &t.milestones_partially_met { li { (badge(milestone_badge(lang, crate::governance::views::MilestoneShown::PartiallyMet))) " " (milestone_title(m)) } }
                    @for m in &t.milestones_not_met { li { (badge(milestone_badge(lang, crate::governance::views::MilestoneShown::NotMet))) " " (milestone_title(m)) } }
                    @for m in &t.milestones_overdue { li { (badge(milestone_badge(lang, crate::governance::views::MilestoneShown::Overdue))) " " (milestone_title(m)) } }
                }
            }
        }
    };
    Ok(layout(
        lang,
        lang.t("Kesinambungan", "Continuity"),
        Some(Nav::Continuity),
        "/kesinambungan",
        body,
    ))
}

fn key_holder(state: &GovState, keyid: &str) -> String {
    let Some(key) = state.keys.get(keyid) else {
        return format!("{}…", &keyid[..16.min(keyid.len())]);
    };
    let mut parts: Vec<String> = key
        .mandates
        .iter()
        .filter_map(|m| state.mandates.get(m))
        .map(|m| {
            format!(
                "{} ({})",
                m.spec.holder.name,
                office_name(state, m.spec.office.as_str())
            )
        })
        .collect();
    parts.dedup();
    if key.registrar {
        parts.push("registrar".into());
    }
    if parts.is_empty() {
        format!("{}…", &keyid[..16.min(keyid.len())])
    } else {
        parts.join("; ")
    }
}

pub(super) async fn ledger(
    State(ledger): State<Ledger>,
    State(governance): State<Governance>,
    Query(q): Query<LedgerQuery>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let folded = governance.current().await.map_err(|e| internal(lang, e))?;
    let state = &folded.state;
    let size = ledger
        .latest_checkpoint()
        .await
        .map_err(|e| internal(lang, e))?
        .tree_size;
    let end = q.before.unwrap_or(size).min(size);
    let start = end.saturating_sub(LEDGER_PAGE);
    let rows = ledger
        .store()
        .entries(start, end - start)
        .await
        .map_err(|e| internal(lang, e))?;
    let body = html! {
        h1 { (lang.t("Buku besar", "Ledger")) }
        p { (size) " " (lang.t("entri, terbaru di atas.", "entries, newest first.")) }
        table {
            thead { tr {
                th { "#" } th { (lang.t("Jenis", "Type")) } th { (lang.t("Penanda tangan", "Signers")) }
                th.wide { (lang.t("Dicatat", "Recorded")) } th.wide { (lang.t("Hash daun", "Leaf hash")) }
                th.wide { (lang.t("Hash sebelumnya", "Prev")) }
            } }
            tbody {
                @for e in rows.iter().rev() {
                    @let entry = Entry::parse(&e.body).ok();
                    tr {
                        td { (entry_link(lang, e.index)) }
                        td { (entry.as_ref().map(statement_type).unwrap_or_default()) }
                        td { @if let Some(entry) = &entry {
                            (entry.envelope.signatures.iter().map(|s| key_holder(state, &s.keyid)).collect::<Vec<_>>().join(", "))
                        } }
                        td.wide { (entry.as_ref().map(|x| x.recorded_at.to_string()).unwrap_or_default()) }
                        td.wide.hash { (e.leaf_hash.to_hex()[..16].to_owned()) "…" }
                        td.wide.hash { (entry.as_ref().map(|x| x.prev.to_hex().chars().take(16).collect::<String>()).unwrap_or_default()) "…" }
                    }
                }
            }
        }
        @if start > 0 {
            a rel="next" href=(lang.link(&format!("/ledger?before={start}"))) { (lang.t("Entri lebih lama", "Older entries")) " →" }
        }
    };
    Ok(layout(
        lang,
        lang.t("Buku besar", "Ledger"),
        Some(Nav::Ledger),
        "/ledger",
        body,
    ))
}

pub(super) async fn entry(
    State(ledger): State<Ledger>,
    State(governance): State<Governance>,
    Path(index): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let missing = || {
        not_found(
            lang,
            format!("{} {index}", lang.t("Tidak ada entri", "There is no entry")),
        )
    };
    let index: u64 = index.parse().map_err(|_| missing())?;
    let folded = governance.current().await.map_err(|e| internal(lang, e))?;
    let state = &folded.state;
    let size = ledger
        .latest_checkpoint()
        .await
        .map_err(|e| internal(lang, e))?
        .tree_size;
    if index >= size {
        return Err(missing());
    }
    let stored = ledger
        .store()
        .entry(index)
        .await
        .map_err(|e| internal(lang, e))?
        .ok_or_else(missing)?;
    let entry = Entry::parse(&stored.body).map_err(|e| internal(lang, e))?;
    let statement = decode_statement(&entry).unwrap_or_default();
    let pretty = serde_json::to_string_pretty(&statement).unwrap_or_default();
    let envelope = serde_json::to_string_pretty(&entry.envelope).unwrap_or_default();
    let leaf = leaf_hash(&stored.body);
    let checkpoint = ledger
        .latest_checkpoint()
        .await
        .map_err(|e| internal(lang, e))?;
    let (hashes, _) = ledger
        .inclusion_proof(index, checkpoint.tree_size)
        .await
        .map_err(|e| internal(lang, e))?;
    let bundle = crate::tlog::bundle::ProofBundle {
        extra: None,
        index,
        hashes,
        checkpoint: checkpoint.note,
    }
    .to_text();
    let body = html! {
        h1 { (lang.t("Entri", "Entry")) " #" (index) ": " (statement_type(&entry)) }
        dl {
            dt { (lang.t("Dicatat", "Recorded")) } dd { (entry.recorded_at) }
            dt { (lang.t("Hash daun", "Leaf hash")) } dd.hash { (leaf.to_hex()) }
            dt { (lang.t("Hash entri sebelumnya", "Previous entry's hash")) } dd.hash { (entry.prev) }
            dt { (lang.t("Penanda tangan", "Signers")) } dd { ul { @for s in &entry.envelope.signatures {
                li { (key_holder(state, &s.keyid)) " " code { (s.keyid) } }
            } } }
        }
        p {
            @if index > 0 { a href=(lang.link(&format!("/ledger/{}", index - 1))) { "← #" (index - 1) } " " }
            @if index + 1 < size { a href=(lang.link(&format!("/ledger/{}", index + 1))) { "#" (index + 1) " →" } " " }
            a href=(lang.link(&format!("/verifikasi?entry={index}"))) { (lang.t("Verifikasi entri ini di peramban Anda", "Verify this entry in your browser")) }
            " · "
            a href=(format!("/api/v1/entries/{index}/proof")) { (lang.t("Bukti inklusi (tlog-proof)", "Inclusion proof (tlog-proof)")) }
        }
        h2 { (lang.t("Pernyataan", "Statement")) }
        pre { (pretty) }
        h2 { (lang.t("Amplop bertanda tangan (DSSE)", "Signed envelope (DSSE)")) }
        pre { (envelope) }
        h2 { (lang.t("Bukti inklusi terhadap checkpoint terbaru", "Inclusion proof against the latest checkpoint")) }
        pre { (bundle) }
        h2 { (lang.t("Periksa dengan baris perintah", "Check from the command line")) }
        pre {
            "curl -s <URL>/api/v1/entries/" (index) "/proof > " (index) ".tlog-proof\n"
            "curl -s <URL>/api/v1/entries/" (index) " > " (index) ".json\n"
            "prasasti check-proof --vkey ledger.vkey --proof " (index) ".tlog-proof " (index) ".json"
        }
    };
    Ok(layout(
        lang,
        &format!("#{index}"),
        Some(Nav::Ledger),
        &format!("/ledger/{index}"),
        body,
    ))
}

#[derive(Deserialize, Default)]
pub(super) struct VerifyQuery {
    lang: Option<String>,
    entry: Option<u64>,
}

pub(super) async fn verification(
    State(ledger): State<Ledger>,
    Query(q): Query<VerifyQuery>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let vkey = ledger.verifier().to_vkey_string();
    let steps = [
        ("checkpoint", lang.t(
            "Checkpoint terbaru ditandatangani dengan kunci log di atas",
            "The latest checkpoint is signed with the log key above",
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
                {
                    span.result.badge.neutral { (lang.t("belum diperiksa", "not checked yet")) }
                    " " (label)
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
        pre { "echo '" (vkey) "' > ledger.vkey\nprasasti verify --server <URL> --vkey ledger.vkey" }
        script src="/static/verify.js" {}
    };
    Ok(layout(
        lang,
        lang.t("Verifikasi", "Verify"),
        Some(Nav::Verify),
        "/verifikasi",
        body,
    ))
}

/// The programme's story across the heads' terms: one band per
/// head-of-region term, the commitments' decisions placed in the term that
/// took them, and the milestones at their due dates (filled once met).
fn timeline(
    state: &GovState,
    lang: Lang,
    view: &crate::governance::views::ProgrammeView,
) -> Markup {
    use chrono::{DateTime, Utc};
    const W: f64 = 900.0;
    const LEFT: f64 = 10.0;
    let tz = state.time_zone();
    let now = Utc::now();
    let report = state.continuity(0, now);
    let terms: Vec<(String, String, DateTime<Utc>, DateTime<Utc>)> = report
        .terms
        .iter()
        .map(|t| {
            let start = t.from.instant(tz);
            let end = t
                .ended
                .as_ref()
                .map(|e| e.at.instant(tz))
                .or_else(|| t.until.as_ref().map(|u| u.instant(tz)))
                .unwrap_or(now)
                .min(now.max(start));
            (
                t.mandate.clone(),
                format!("{} · {}", t.holder.name, mandate_kind(lang, t.kind)),
                start,
                end,
            )
        })
        .collect();
    let milestones: Vec<&MilestoneView> = view
        .commitment_details
        .iter()
        .flat_map(|c| &c.milestone_details)
        .collect();
    let mut times: Vec<DateTime<Utc>> = vec![
        view.programme.spec.period.from.instant(tz),
        view.programme.spec.period.until.instant(tz),
        now,
    ];
    times.extend(terms.iter().flat_map(|t| [t.2, t.3]));
    times.extend(milestones.iter().map(|m| m.milestone.due.instant(tz)));
    let (Some(first), Some(last)) = (times.iter().min().copied(), times.iter().max().copied())
    else {
        return html! {};
    };
    let span = (last - first).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| LEFT + (W - 2.0 * LEFT) * ((t - first).num_seconds() as f64 / span);
    let colours = ["#efe3d3", "#dde6ef", "#e4efdd", "#efdde6", "#e9e9e9"];
    let band_height = 70.0;
    let height = band_height + 60.0;
    let label = lang.t(
        "Lini masa: pita per masa jabatan kepala daerah, keputusan atas komitmen di dalam pita masa jabatan yang mengambilnya, dan tonggak pada tanggal tenggatnya",
        "Timeline: one band per head's term, commitment decisions inside the band of the term that took them, and milestones at their due dates",
    );
    html! {
        svg viewBox=(format!("0 0 {W} {height}")) width="100%" role="img" aria-label=(label) {
            title { (label) }
            @for (i, (mandate, name, start, end)) in terms.iter().enumerate() {
                @let (x0, x1) = (x(*start), x(*end));
                rect x=(format!("{x0:.1}")) y="0" width=(format!("{:.1}", (x1 - x0).max(1.0))) height=(band_height) fill=(colours[i % colours.len()]) {
                    title { (name) " (" (start.format("%Y-%m-%d")) " – " (end.format("%Y-%m-%d")) ")" }
                }
                text x=(format!("{:.1}", x0 + 3.0)) y="12" font-size="10" { (name.split(" · ").next().unwrap_or_default()) }
                @let events: Vec<_> = view.commitment_details.iter().flat_map(|c| c.commitment.events.iter().map(move |e| (c, e))).filter(|(_, e)| e.head_mandate.as_deref() == Some(mandate.as_str())).collect();
                @for (k, (c, e)) in events.iter().enumerate() {
                    @let ex = x0 + (x1 - x0) * ((k as f64 + 1.0) / (events.len() as f64 + 1.0));
                    circle cx=(format!("{ex:.1}")) cy="40" r="5" fill=(event_colour(e.action)) {
                        title { (action_text(lang, e.action)) ": " (c.commitment.current().title) " (#" (e.recorded.entry) ")" }
                    }
                }
            }
            line x1=(LEFT) y1=(band_height + 15.0) x2=(W - LEFT) y2=(band_height + 15.0) stroke="#555b66" {}
            @for m in &milestones {
                @let mx = x(m.milestone.due.instant(tz));
                @let met = matches!(m.shown_status, crate::governance::views::MilestoneShown::Met | crate::governance::views::MilestoneShown::PartiallyMet);
                rect x=(format!("{:.1}", mx - 5.0)) y=(band_height + 10.0) width="10" height="10" transform=(format!("rotate(45 {mx:.1} {})", band_height + 15.0))
                    fill=(if met { "#1f6f3a" } else { "#ffffff" }) stroke=(milestone_colour(m.shown_status)) stroke-width="2" {
                    title { (m.milestone.title) ": " (milestone_badge(lang, m.shown_status).text) ", " (lang.t("tenggat", "due")) " " (m.milestone.due) }
                }
            }
            text x=(LEFT) y=(height - 8.0) font-size="10" { (first.format("%Y")) }
            text x=(W - LEFT) y=(height - 8.0) font-size="10" text-anchor="end" { (last.format("%Y")) }
        }
    }
}

fn event_colour(a: crate::governance::state::CommitmentAction) -> &'static str {
    use crate::governance::state::CommitmentAction::*;
    match a {
        Made | Reaffirmed => "#3b4a66",
        Amended | Inherited => "#8a5a00",
        Completed => "#1f6f3a",
        Discontinued => "#a4262c",
    }
}

fn milestone_colour(s: crate::governance::views::MilestoneShown) -> &'static str {
    use crate::governance::views::MilestoneShown::*;
    match s {
        Met => "#1f6f3a",
        PartiallyMet | PendingApproval => "#8a5a00",
        NotMet | Overdue => "#a4262c",
        Scheduled => "#3b4a66",
    }
}
