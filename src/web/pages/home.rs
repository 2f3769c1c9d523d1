//! Beranda: the government, its dimensions with programme counts by status, recent entries and the latest checkpoint.

use super::*;

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

pub(in crate::web) async fn home(
    State(ledger): State<Ledger>,
    Current(folded): Current,
    lang: Lang,
) -> Page {
    let state = &folded.state;
    let checkpoint = ledger.latest_checkpoint().await.or_internal(lang)?;
    let witnessed = super::witnesses::witnessed(&ledger)
        .await
        .or_internal(lang)?;
    let size = checkpoint.tree_size;
    let start = size.saturating_sub(10);
    let recent = ledger
        .store()
        .entries(start, size - start)
        .await
        .or_internal(lang)?;
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
            thead { tr { th { "#" } th { (lang.t("Pernyataan", "Statement")) } th.wide { (lang.t("Dicatat", "Recorded")) } } }
            tbody {
                @for e in recent.iter().rev() {
                    @let entry = Entry::parse(&e.body).ok();
                    tr {
                        td { (entry_link(lang, e.index)) }
                        td { (entry.as_ref().map(|x| entry_words(state, lang, x)).unwrap_or_default()) " " small.muted { (entry.as_ref().map(statement_type).unwrap_or_default()) } }
                        td.wide { (entry.as_ref().map(|x| entry_time(state, x)).unwrap_or_default()) }
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
            @if let Some(w) = &witnessed {
                dt { (lang.t("Disaksikan", "Witnessed")) }
                dd #witnessed-size {
                    @match &w.published {
                        Some(p) => { (p.tree_size) " " (lang.t("entri", "entries")) " · " (crate::ledger::entry::parse_time(&p.signed_at).map(|t| state.local_time(t)).unwrap_or_default()) },
                        None => { (lang.t("belum", "not yet")) },
                    }
                }
            }
        }
        @if let Some(w) = &witnessed {
            h2 { (lang.t("Saksi", "Witnesses")) }
            (super::witnesses::witnesses_block(state, lang, w))
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
    section(lang, Nav::Home, body)
}
