//! The report written out: JSON (stable, for other tools), Markdown, and
//! HTML that prints on A4 with the two checkpoints in every page's header
//! and page numbers in the footer. Bahasa Indonesia by default.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::AuditReport;

/// How the report is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON (docs/FORMAT.md §11).
    Json,
    /// Markdown.
    Markdown,
    /// HTML, printable on A4.
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "json" => Ok(Format::Json),
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            other => Err(format!("{other}: the format is html, md or json")),
        }
    }
}

/// Writes `report` in `format`, its words in Bahasa Indonesia (`english`
/// false) or English.
pub fn render(report: &AuditReport, format: Format, english: bool) -> String {
    let l = Labels { english };
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Markdown => markdown(report, l),
        Format::Html => html_report(report, l).into_string(),
    }
}

#[derive(Clone, Copy)]
struct Labels {
    english: bool,
}

impl Labels {
    fn t<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        if self.english { en } else { id }
    }

    fn action(self, action: &str) -> &'static str {
        match action {
            "made" => self.t("dibuat", "made"),
            "amended" => self.t("diubah", "amended"),
            "inherited" => self.t("diwariskan", "inherited"),
            "reaffirmed" => self.t("ditegaskan", "reaffirmed"),
            "discontinued" => self.t("dihentikan", "discontinued"),
            "completed" => self.t("diselesaikan", "completed"),
            _ => "?",
        }
    }

    /// A mandate's kind as the government says it.
    fn kind(self, kind: &str) -> &'static str {
        match kind {
            "definitive" => self.t("definitif", "definitive"),
            "acting" => self.t("Plt.", "acting"),
            "daily" => self.t("Plh.", "daily"),
            "caretaker" => self.t("Pj.", "caretaker"),
            _ => "?",
        }
    }

    fn summary(self, line: &super::Line) -> &str {
        if self.english {
            &line.summary_en
        } else {
            &line.summary_id
        }
    }
}

fn rupiah(amount: &str) -> String {
    crate::governance::views::rupiah(amount)
}

fn signed_rupiah(delta: i128) -> String {
    let sign = if delta < 0 { "−" } else { "+" };
    format!("{sign}{}", rupiah(&delta.unsigned_abs().to_string()))
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(16)]
}

/// One change as a sentence: budget and due-date moves, justification.
fn change_words(l: Labels, c: &super::Change) -> String {
    let mut parts = vec![format!("#{} {}", c.index, l.action(&c.action))];
    if let (Some((b0, b1)), Some(delta)) = (&c.budget, c.budget_delta)
        && delta != 0
    {
        parts.push(format!(
            "{} {} → {} ({})",
            l.t("anggaran", "budget"),
            rupiah(b0),
            rupiah(b1),
            signed_rupiah(delta)
        ));
    }
    if let (Some((d0, d1)), Some(days)) = (&c.due, c.due_delta_days)
        && days != 0
    {
        parts.push(format!(
            "{} {d0} → {d1} ({days:+} {})",
            l.t("tenggat", "due"),
            l.t("hari", "days")
        ));
    }
    if let Some(text) = &c.text {
        parts.push(format!("«{text}»"));
    }
    if let Some(basis) = &c.basis {
        parts.push(format!("{}: {basis}", l.t("dasar", "basis")));
    }
    parts.join("; ")
}

fn markdown(r: &AuditReport, l: Labels) -> String {
    let mut md = String::new();
    let mut w = |s: String| {
        md.push_str(&s);
        md.push('\n');
    };
    w(format!(
        "# {} {}",
        l.t("Laporan audit buku besar", "Audit report of the ledger"),
        r.origin
    ));
    w(String::new());
    w(format!(
        "{} {} → {} {}{}",
        l.t("Entri", "Entries"),
        r.from.tree_size,
        r.to.tree_size,
        l.t("entri", "entries"),
        r.as_of
            .as_ref()
            .map(|t| format!(" · {} {t}", l.t("per", "as of")))
            .unwrap_or_default()
    ));
    w(String::new());
    w(format!("## {}", l.t("Checkpoint", "Checkpoints")));
    w(String::new());
    w(format!(
        "- {}: {} {}, {} `{}`",
        l.t("Dari", "From"),
        r.from.tree_size,
        l.t("entri", "entries"),
        l.t("akar", "root"),
        r.from.root_hash
    ));
    w(format!(
        "- {}: {} {}, {} `{}`",
        l.t("Sampai", "To"),
        r.to.tree_size,
        l.t("entri", "entries"),
        l.t("akar", "root"),
        r.to.root_hash
    ));
    w(format!(
        "- {}: {}",
        l.t("Bukti konsistensi", "Consistency proof"),
        if r.consistency_proof.is_empty() {
            l.t("(kosong)", "(empty)").to_owned()
        } else {
            r.consistency_proof
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(" ")
        }
    ));
    for note in [&r.from.checkpoint, &r.to.checkpoint].into_iter().flatten() {
        w(String::new());
        w(format!("```\n{}```", note));
    }
    w(String::new());
    w(format!("## {}", l.t("Verifikasi", "Verification")));
    w(String::new());
    let v = &r.verification;
    w(format!(
        "- {} {} {}, {} {}",
        l.t("Seluruh log terverifikasi:", "The whole log verifies:"),
        v.entries,
        l.t("entri", "entries"),
        v.signatures,
        l.t("tanda tangan", "signatures")
    ));
    w(format!(
        "- {}: `{}` ({})",
        l.t("Hash keadaan", "State hash"),
        v.state_hash,
        v.state_check
    ));
    for c in &v.cosigners {
        w(format!(
            "- {} {} ({})",
            l.t("Disaksikan oleh", "Witnessed by"),
            c.name,
            c.time
        ));
    }
    for f in &v.signed_after_compromise {
        w(format!(
            "- **{}** #{}: {} `{}` ({} {}, #{})",
            l.t("PERINGATAN", "FLAG"),
            f.index,
            l.t("ditandatangani dengan kunci", "signed with key"),
            short(&f.keyid),
            l.t("bocor sejak", "compromised since"),
            f.compromised_since,
            f.revoked_by
        ));
    }
    w(String::new());
    w(format!(
        "## {}",
        l.t("Masa jabatan kepala daerah", "Terms of the regional head")
    ));
    for t in &r.terms {
        w(String::new());
        w(format!(
            "### {} ({}, {}) {} – {}",
            t.holder,
            t.mandate,
            l.kind(&t.kind),
            t.from,
            t.until.as_deref().unwrap_or("…")
        ));
        w(String::new());
        if t.decisions.is_empty() {
            w(format!(
                "- {}",
                l.t(
                    "Tidak ada keputusan dalam rentang ini.",
                    "No decision in this range."
                )
            ));
        }
        for d in &t.decisions {
            let mut line = format!(
                "- #{} {} «{}» ({})",
                d.index,
                l.action(&d.action),
                d.title,
                d.commitment
            );
            if let Some(text) = &d.text {
                line.push_str(&format!(": «{text}»"));
            }
            if let Some(basis) = &d.basis {
                line.push_str(&format!(" — {}: {basis}", l.t("dasar", "basis")));
            }
            w(line);
        }
        if !t.left_awaiting.is_empty() {
            w(format!(
                "- {}: {}",
                l.t(
                    "Warisan tanpa keputusan",
                    "Inherited, left without a decision"
                ),
                t.left_awaiting.join(", ")
            ));
        }
        for (label, list) in [
            (l.t("Tonggak tercapai", "Milestones met"), &t.milestones_met),
            (
                l.t("Tonggak tercapai sebagian", "Partially met"),
                &t.milestones_partially_met,
            ),
            (
                l.t("Tonggak tidak tercapai", "Not met"),
                &t.milestones_not_met,
            ),
            (l.t("Tonggak terlambat", "Overdue"), &t.milestones_overdue),
        ] {
            if !list.is_empty() {
                w(format!("- {label}: {}", list.join(", ")));
            }
        }
    }
    w(String::new());
    w(format!("## {}", l.t("Program", "Programmes")));
    for p in &r.programmes {
        w(String::new());
        w(format!("### {} ({}) — {}", p.title, p.id, p.owner));
        for c in &p.commitments {
            w(String::new());
            w(format!(
                "- **{}** ({}): {}, {} {}, {} {}",
                c.title,
                c.id,
                c.status,
                l.t("anggaran", "budget"),
                rupiah(&c.budget),
                l.t("tenggat", "due"),
                c.due
            ));
            for change in &c.changes {
                w(format!("  - {}", change_words(l, change)));
            }
        }
        for m in &p.milestones {
            w(format!(
                "- {} «{}» ({}): {}, {} {}, {}: {}",
                l.t("Tonggak", "Milestone"),
                m.title,
                m.id,
                m.status,
                l.t("tenggat", "due"),
                m.due,
                l.t("penyetuju", "approvers"),
                m.approvers.join(", ")
            ));
            for rep in &m.reports {
                w(format!(
                    "  - #{} {} {} ({}); {}: {}; {}: {}",
                    rep.index,
                    l.t("laporan", "report"),
                    rep.status,
                    rep.outcome,
                    l.t("bukti", "evidence"),
                    rep.evidence
                        .iter()
                        .map(|e| format!("`{}`", short(e)))
                        .collect::<Vec<_>>()
                        .join(" "),
                    l.t("persetujuan", "approvals"),
                    rep.approvals
                        .iter()
                        .map(|(o, i)| format!("{o} #{i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    w(String::new());
    w(format!(
        "## {}",
        l.t(
            "Komitmen warisan menunggu penegasan",
            "Inherited commitments awaiting reaffirmation"
        )
    ));
    w(String::new());
    for a in &r.awaiting_reaffirmation {
        w(format!(
            "- «{}» ({}, {}): {} {} {} #{}",
            a.title,
            a.commitment,
            a.programme,
            a.days,
            l.t("hari sejak", "days since"),
            l.t("entri", "entry"),
            a.since_index
        ));
    }
    w(String::new());
    w(format!("## {}", l.t("Serah terima", "Handovers")));
    w(String::new());
    for h in &r.handovers {
        w(format!(
            "- #{} {} {} → {}: {} {}{}",
            h.index,
            h.office,
            h.outgoing,
            h.incoming,
            h.listed.len(),
            l.t("komitmen terbuka dicantumkan", "open commitments listed"),
            if h.not_listed.is_empty() {
                String::new()
            } else {
                format!(
                    "; **{}**: {}",
                    l.t("tidak dicantumkan", "not listed"),
                    h.not_listed.join(", ")
                )
            }
        ));
    }
    w(String::new());
    w(format!("## {}", l.t("Pencabutan kunci", "Key revocations")));
    w(String::new());
    for k in &r.revocations {
        w(format!(
            "- #{} `{}`: «{}»{}",
            k.index,
            short(&k.keyid),
            k.reason,
            k.compromised_since
                .as_ref()
                .map(|d| format!(" ({} {d})", l.t("bocor sejak", "compromised since")))
                .unwrap_or_default()
        ));
    }
    w(String::new());
    w(format!(
        "## {}",
        l.t(
            "Catatan audit tanpa tanggapan",
            "Audit notes without a response"
        )
    ));
    w(String::new());
    for n in &r.open_audit_notes {
        w(format!(
            "- #{} {} ({}): «{}»",
            n.index, n.subject, n.severity, n.finding
        ));
    }
    w(String::new());
    w(format!(
        "## {}",
        l.t("Semua entri dalam rentang", "Every entry of the range")
    ));
    w(String::new());
    w(format!(
        "| # | {} | {} | {} |",
        l.t("Hash daun", "Leaf hash"),
        l.t("Dicatat", "Recorded"),
        l.t("Pernyataan", "Statement")
    ));
    w("|---|---|---|---|".to_owned());
    for line in &r.entries {
        w(format!(
            "| {} | `{}` | {} | {} ({}) |",
            line.index,
            short(&line.leaf_hash),
            line.recorded_at,
            l.summary(line).replace('|', "\\|"),
            line.statement_type
        ));
    }
    w(String::new());
    w(format!("## {}", l.t("Memeriksa ulang", "Re-checking")));
    w(String::new());
    w(l.t(
        "Setiap baris menyebut nomor entrinya. Unduh bukti entri dan periksa tanpa server:",
        "Every line names its entry. Fetch the entry's proof and check it without the server:",
    )
    .to_owned());
    w(String::new());
    w("```\ncurl -o proof.txt <URL>/api/v1/entries/<N>/proof\ncurl -o entry.json <URL>/api/v1/entries/<N>\nprasasti check-proof --vkey ledger.vkey --proof proof.txt entry.json\n```".to_owned());
    md
}

const PRINT_CSS: &str = r#"
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.35; color: #111; max-width: 180mm; margin: 0 auto; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; border-bottom: 1px solid #999; margin-top: 1.4em; } h3 { font-size: 11pt; }
code, .hash { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; word-break: break-all; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; word-break: break-all; font-size: 8pt; background: #f4f4f4; padding: 4pt; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #bbb; padding: 2pt 4pt; vertical-align: top; text-align: left; overflow-wrap: anywhere; }
th.n, td.n { width: 9mm; } th.h, td.h { width: 30mm; } th.t, td.t { width: 34mm; }
.flag { color: #a00; font-weight: bold; }
header.run { display: none; }
@page { size: A4; margin: 20mm 15mm 18mm 15mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
@media print { h2 { break-after: avoid; } tr, li { break-inside: avoid; } }
"#;

fn html_report(r: &AuditReport, l: Labels) -> Markup {
    let header_line = format!(
        "{} · {} {} → {} · {} {}…",
        r.origin,
        l.t("entri", "entries"),
        r.from.tree_size,
        r.to.tree_size,
        l.t("akar", "root"),
        short(&r.to.root_hash)
    );
    // The two checkpoints in every printed page's header.
    let page_header = format!(
        "@page {{ @top-center {{ content: \"{}\"; font-size: 8pt; }} }}",
        header_line.replace('\\', "").replace('"', "'")
    );
    let lang = if l.english { "en" } else { "id" };
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                title { (l.t("Laporan audit", "Audit report")) " " (r.origin) }
                style { (PreEscaped(PRINT_CSS)) (PreEscaped(page_header)) }
            }
            body {
                h1 { (l.t("Laporan audit buku besar", "Audit report of the ledger")) " " (r.origin) }
                p { (header_line) @if let Some(t) = &r.as_of { " · " (l.t("per", "as of")) " " (t) } }
                h2 { (l.t("Checkpoint", "Checkpoints")) }
                table {
                    tr { th.t { (l.t("Dari", "From")) } td { (r.from.tree_size) " " (l.t("entri", "entries")) br; span.hash { (r.from.root_hash) } } }
                    tr { th.t { (l.t("Sampai", "To")) } td { (r.to.tree_size) " " (l.t("entri", "entries")) br; span.hash { (r.to.root_hash) } } }
                    tr { th.t { (l.t("Bukti konsistensi", "Consistency proof")) } td.hash { @for h in &r.consistency_proof { (h) br; } } }
                }
                @for note in [&r.from.checkpoint, &r.to.checkpoint].into_iter().flatten() { pre { (note) } }
                h2 { (l.t("Verifikasi", "Verification")) }
                @let v = &r.verification;
                ul {
                    li { (l.t("Seluruh log terverifikasi:", "The whole log verifies:")) " " (v.entries) " " (l.t("entri", "entries")) ", " (v.signatures) " " (l.t("tanda tangan", "signatures")) }
                    li { (l.t("Hash keadaan", "State hash")) ": " span.hash { (v.state_hash) } " (" (v.state_check) ")" }
                    @for c in &v.cosigners { li { (l.t("Disaksikan oleh", "Witnessed by")) " " (c.name) " (" (c.time) ")" } }
                    @for f in &v.signed_after_compromise {
                        li.flag { "#" (f.index) ": " (l.t("ditandatangani dengan kunci", "signed with key")) " " span.hash { (short(&f.keyid)) } " " (l.t("bocor sejak", "compromised since")) " " (f.compromised_since) }
                    }
                }
                h2 { (l.t("Masa jabatan kepala daerah", "Terms of the regional head")) }
                @for t in &r.terms {
                    h3 { (t.holder) " (" (t.mandate) ", " (l.kind(&t.kind)) ") " (t.from) " – " (t.until.as_deref().unwrap_or("…")) }
                    ul {
                        @if t.decisions.is_empty() { li { (l.t("Tidak ada keputusan dalam rentang ini.", "No decision in this range.")) } }
                        @for d in &t.decisions {
                            li { "#" (d.index) " " (l.action(&d.action)) " «" (d.title) "» (" (d.commitment) ")"
                                @if let Some(text) = &d.text { ": «" (text) "»" }
                                @if let Some(b) = &d.basis { " — " (l.t("dasar", "basis")) ": " (b) } }
                        }
                        @if !t.left_awaiting.is_empty() { li.flag { (l.t("Warisan tanpa keputusan", "Inherited, left without a decision")) ": " (t.left_awaiting.join(", ")) } }
                        @if !t.milestones_overdue.is_empty() { li { (l.t("Tonggak terlambat", "Overdue milestones")) ": " (t.milestones_overdue.join(", ")) } }
                        @if !t.milestones_met.is_empty() { li { (l.t("Tonggak tercapai", "Milestones met")) ": " (t.milestones_met.join(", ")) } }
                        @if !t.milestones_not_met.is_empty() { li { (l.t("Tonggak tidak tercapai", "Milestones not met")) ": " (t.milestones_not_met.join(", ")) } }
                    }
                }
                h2 { (l.t("Program", "Programmes")) }
                @for p in &r.programmes {
                    h3 { (p.title) " (" (p.id) ") — " (p.owner) }
                    ul {
                        @for c in &p.commitments {
                            li { strong { (c.title) } " (" (c.id) "): " (c.status) ", " (l.t("anggaran", "budget")) " " (rupiah(&c.budget)) ", " (l.t("tenggat", "due")) " " (c.due)
                                ul { @for change in &c.changes { li { (change_words(l, change)) } } } }
                        }
                        @for m in &p.milestones {
                            li { (l.t("Tonggak", "Milestone")) " «" (m.title) "» (" (m.id) "): " (m.status) ", " (l.t("tenggat", "due")) " " (m.due) ", " (l.t("penyetuju", "approvers")) ": " (m.approvers.join(", "))
                                @if !m.reports.is_empty() { ul { @for rep in &m.reports {
                                    li { "#" (rep.index) " " (l.t("laporan", "report")) " " (rep.status) " (" (rep.outcome) "); " (l.t("bukti", "evidence")) ": "
                                        @for e in &rep.evidence { span.hash { (short(e)) } " " }
                                        "; " (l.t("persetujuan", "approvals")) ": " (rep.approvals.iter().map(|(o, i)| format!("{o} #{i}")).collect::<Vec<_>>().join(", ")) }
                                } } } }
                        }
                    }
                }
                h2 { (l.t("Komitmen warisan menunggu penegasan", "Inherited commitments awaiting reaffirmation")) }
                ul { @for a in &r.awaiting_reaffirmation { li.flag { "«" (a.title) "» (" (a.commitment) ", " (a.programme) "): " (a.days) " " (l.t("hari sejak entri", "days since entry")) " #" (a.since_index) } } }
                h2 { (l.t("Serah terima", "Handovers")) }
                ul { @for h in &r.handovers { li { "#" (h.index) " " (h.office) " " (h.outgoing) " → " (h.incoming) ": " (h.listed.len()) " " (l.t("komitmen terbuka dicantumkan", "open commitments listed"))
                    @if !h.not_listed.is_empty() { span.flag { "; " (l.t("tidak dicantumkan", "not listed")) ": " (h.not_listed.join(", ")) } } } } }
                h2 { (l.t("Pencabutan kunci", "Key revocations")) }
                ul { @for k in &r.revocations { li { "#" (k.index) " " span.hash { (short(&k.keyid)) } ": «" (k.reason) "»" @if let Some(d) = &k.compromised_since { " (" (l.t("bocor sejak", "compromised since")) " " (d) ")" } } } }
                h2 { (l.t("Catatan audit tanpa tanggapan", "Audit notes without a response")) }
                ul { @for n in &r.open_audit_notes { li { "#" (n.index) " " (n.subject) " (" (n.severity) "): «" (n.finding) "»" } } }
                h2 { (l.t("Semua entri dalam rentang", "Every entry of the range")) }
                table #entries {
                    thead { tr { th.n { "#" } th.h { (l.t("Hash daun", "Leaf hash")) } th.t { (l.t("Dicatat", "Recorded")) } th { (l.t("Pernyataan", "Statement")) } } }
                    tbody { @for line in &r.entries {
                        tr { td.n { (line.index) } td.h.hash { (line.leaf_hash) } td.t { (line.recorded_at) } td { (l.summary(line)) " " small { "(" (line.statement_type) ")" } } }
                    } }
                }
                h2 { (l.t("Memeriksa ulang", "Re-checking")) }
                p { (l.t(
                    "Setiap baris menyebut nomor entrinya. Unduh bukti entri dan periksa tanpa server:",
                    "Every line names its entry. Fetch the entry's proof and check it without the server:",
                )) }
                pre { "curl -o proof.txt <URL>/api/v1/entries/<N>/proof\ncurl -o entry.json <URL>/api/v1/entries/<N>\nprasasti check-proof --vkey ledger.vkey --proof proof.txt entry.json" }
            }
        }
    }
}
