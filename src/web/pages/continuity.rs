//! Kesinambungan: what each Bupati term did with the commitments it inherited.

use super::*;

pub(in crate::web) async fn continuity(Current(folded): Current, lang: Lang) -> Page {
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
    section(lang, Nav::Continuity, body)
}
