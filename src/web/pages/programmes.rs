//! The programme list with its filters, and one programme: commitments, milestones, history across terms and its timeline.

use super::*;

pub(in crate::web) async fn programmes(
    Current(folded): Current,
    Query(q): Query<ProgrammeQuery>,
    lang: Lang,
) -> Page {
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
    section(lang, Nav::Programmes, body)
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

pub(in crate::web) async fn programme(
    Current(folded): Current,
    Path(id): Path<String>,
    lang: Lang,
) -> Page {
    let state = &folded.state;
    let view = state
        .programme_view(&id, Utc::now())
        .ok_or_else(|| no_programme(lang, &id))?;
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
            @if view.audit_notes_total > view.audit_notes.len() {
                p.muted { (view.audit_notes.len()) " " (lang.t("terbaru dari", "newest of")) " " (view.audit_notes_total) " " (lang.t("catatan", "notes")) }
            }
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
        p { @for i in view.entries.iter().rev() { (entry_link(lang, *i)) " " } }
        @if view.entries_total > 0 {
            p { a href=(lang.link(&format!("/ledger?program={id}"))) {
                (lang.t("Semua", "All")) " " (view.entries_total) " " (lang.t("entri program ini, dengan isinya", "entries of this programme, with what they say")) " →"
            } }
        }
    };
    let (title, path) = (p.spec.title.as_str(), format!("/program/{id}"));
    Ok(layout(lang, title, Some(Nav::Programmes), &path, body))
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
