//! The report written out: JSON (stable, for other tools), Markdown, and
//! HTML that prints on A4 with the two checkpoints in every page's header
//! and page numbers in the footer. Bahasa Indonesia by default.
//!
//! Markdown and HTML are one document ([`Block`]s, said once in
//! [`document`]) written out two ways.

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
        Format::Markdown => to_markdown(&document(report, l)),
        Format::Html => to_html(report, l, &document(report, l)).into_string(),
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

/// A piece of a line: plain text, a hash or code, or something stressed.
#[derive(Clone, Debug)]
enum Span {
    Text(String),
    Code(String),
    Strong(String),
}

/// A list item: its line, whether it is a finding to look at, and the
/// lines under it.
#[derive(Clone, Debug, Default)]
struct Item {
    line: Vec<Span>,
    flag: bool,
    under: Vec<Vec<Span>>,
}

/// A block of the document.
#[derive(Clone, Debug)]
enum Block {
    Heading(u8, String),
    Para(Vec<Span>),
    List(Vec<Item>),
    Pre(String),
    /// Column heads, the CSS width class of each column, and the rows.
    Table(Vec<String>, Vec<&'static str>, Vec<Vec<Vec<Span>>>),
}

/// A list, or a line saying there is nothing.
fn list(l: Labels, items: Vec<Item>) -> Block {
    if items.is_empty() {
        return Block::Para(vec![text(l.t("Tidak ada.", "None."))]);
    }
    Block::List(items)
}

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

fn item(line: Vec<Span>) -> Item {
    Item {
        line,
        ..Default::default()
    }
}

/// The report as a document, in the reader's language.
fn document(r: &AuditReport, l: Labels) -> Vec<Block> {
    let entries = l.t("entri", "entries");
    let mut doc = vec![
        Block::Heading(
            1,
            format!(
                "{} {}",
                l.t("Laporan audit buku besar", "Audit report of the ledger"),
                r.origin
            ),
        ),
        Block::Para(vec![text(format!(
            "{} {} → {} {entries}{}",
            l.t("Entri", "Entries"),
            r.from.tree_size,
            r.to.tree_size,
            r.as_of
                .as_ref()
                .map(|t| format!(" · {} {t}", l.t("per", "as of")))
                .unwrap_or_default()
        ))]),
        Block::Heading(2, l.t("Checkpoint", "Checkpoints").to_owned()),
    ];
    let head = |label: &str, h: &super::Head| {
        item(vec![
            text(format!(
                "{label}: {} {entries}, {} ",
                h.tree_size,
                l.t("akar", "root")
            )),
            Span::Code(h.root_hash.clone()),
        ])
    };
    let mut proof = vec![text(format!(
        "{}: ",
        l.t("Bukti konsistensi", "Consistency proof")
    ))];
    if r.consistency_proof.is_empty() {
        proof.push(text(l.t("(kosong)", "(empty)")));
    }
    for h in &r.consistency_proof {
        proof.extend([Span::Code(h.clone()), text(" ")]);
    }
    doc.push(Block::List(vec![
        head(l.t("Dari", "From"), &r.from),
        head(l.t("Sampai", "To"), &r.to),
        item(proof),
    ]));
    for note in [&r.from.checkpoint, &r.to.checkpoint].into_iter().flatten() {
        doc.push(Block::Pre(note.clone()));
    }

    let v = &r.verification;
    doc.push(Block::Heading(
        2,
        l.t("Verifikasi", "Verification").to_owned(),
    ));
    let mut found = vec![
        item(vec![text(format!(
            "{} {} {entries}, {} {}",
            l.t("Seluruh log terverifikasi:", "The whole log verifies:"),
            v.entries,
            v.signatures,
            l.t("tanda tangan", "signatures")
        ))]),
        item(vec![
            text(format!("{}: ", l.t("Hash keadaan", "State hash"))),
            Span::Code(v.state_hash.clone()),
            text(format!(" ({})", v.state_check)),
        ]),
    ];
    for c in &v.cosigners {
        found.push(item(vec![text(format!(
            "{} {} ({})",
            l.t("Disaksikan oleh", "Witnessed by"),
            c.name,
            unix_time(c.time)
        ))]));
    }
    for f in &v.signed_after_compromise {
        found.push(Item {
            line: vec![
                Span::Strong(l.t("PERINGATAN", "FLAG").to_owned()),
                text(format!(
                    " #{}: {} ",
                    f.index,
                    l.t("ditandatangani dengan kunci", "signed with key")
                )),
                Span::Code(short(&f.keyid).to_owned()),
                text(format!(
                    " ({} {}, #{})",
                    l.t("bocor sejak", "compromised since"),
                    f.compromised_since,
                    f.revoked_by
                )),
            ],
            flag: true,
            under: Vec::new(),
        });
    }
    doc.push(Block::List(found));

    doc.push(Block::Heading(
        2,
        l.t("Masa jabatan kepala daerah", "Terms of the regional head")
            .to_owned(),
    ));
    for t in &r.terms {
        doc.push(Block::Heading(
            3,
            format!(
                "{} ({}, {}) {} – {}",
                t.holder,
                t.mandate,
                l.kind(&t.kind),
                t.from,
                t.until.as_deref().unwrap_or("…")
            ),
        ));
        let mut items: Vec<Item> = t
            .decisions
            .iter()
            .map(|d| {
                let mut line = format!(
                    "#{} {} «{}» ({})",
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
                item(vec![text(line)])
            })
            .collect();
        if items.is_empty() {
            items.push(item(vec![text(l.t(
                "Tidak ada keputusan dalam rentang ini.",
                "No decision in this range.",
            ))]));
        }
        for (label, list, flag) in [
            (
                l.t(
                    "Warisan tanpa keputusan",
                    "Inherited, left without a decision",
                ),
                &t.left_awaiting,
                true,
            ),
            (
                l.t("Tonggak tercapai", "Milestones met"),
                &t.milestones_met,
                false,
            ),
            (
                l.t("Tonggak tercapai sebagian", "Milestones partially met"),
                &t.milestones_partially_met,
                false,
            ),
            (
                l.t("Tonggak tidak tercapai", "Milestones not met"),
                &t.milestones_not_met,
                false,
            ),
            (
                l.t("Tonggak terlambat", "Overdue milestones"),
                &t.milestones_overdue,
                false,
            ),
        ] {
            if !list.is_empty() {
                items.push(Item {
                    line: vec![text(format!("{label}: {}", list.join(", ")))],
                    flag,
                    under: Vec::new(),
                });
            }
        }
        doc.push(Block::List(items));
    }

    doc.push(Block::Heading(2, l.t("Program", "Programmes").to_owned()));
    for p in &r.programmes {
        doc.push(Block::Heading(
            3,
            format!("{} ({}) — {}", p.title, p.id, p.owner),
        ));
        let mut items = Vec::new();
        for c in &p.commitments {
            items.push(Item {
                line: vec![
                    Span::Strong(c.title.clone()),
                    text(format!(
                        " ({}): {}, {} {}, {} {}",
                        c.id,
                        c.status,
                        l.t("anggaran", "budget"),
                        rupiah(&c.budget),
                        l.t("tenggat", "due"),
                        c.due
                    )),
                ],
                flag: false,
                under: c
                    .changes
                    .iter()
                    .map(|change| vec![text(change_words(l, change))])
                    .collect(),
            });
        }
        for m in &p.milestones {
            items.push(Item {
                line: vec![text(format!(
                    "{} «{}» ({}): {}, {} {}, {}: {}",
                    l.t("Tonggak", "Milestone"),
                    m.title,
                    m.id,
                    m.status,
                    l.t("tenggat", "due"),
                    m.due,
                    l.t("penyetuju", "approvers"),
                    m.approvers.join(", ")
                ))],
                flag: false,
                under: m
                    .reports
                    .iter()
                    .map(|rep| {
                        let mut line = vec![text(format!(
                            "#{} {} {} ({}); {}: ",
                            rep.index,
                            l.t("laporan", "report"),
                            rep.status,
                            rep.outcome,
                            l.t("bukti", "evidence")
                        ))];
                        for e in &rep.evidence {
                            line.extend([Span::Code(short(e).to_owned()), text(" ")]);
                        }
                        line.push(text(format!(
                            "; {}: {}",
                            l.t("persetujuan", "approvals"),
                            rep.approvals
                                .iter()
                                .map(|(o, i)| format!("{o} #{i}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                        line
                    })
                    .collect(),
            });
        }
        doc.push(Block::List(items));
    }

    doc.push(Block::Heading(
        2,
        l.t(
            "Komitmen warisan menunggu penegasan",
            "Inherited commitments awaiting reaffirmation",
        )
        .to_owned(),
    ));
    doc.push(list(
        l,
        r.awaiting_reaffirmation
            .iter()
            .map(|a| Item {
                line: vec![text(format!(
                    "«{}» ({}, {}): {} {} #{}",
                    a.title,
                    a.commitment,
                    a.programme,
                    a.days,
                    l.t("hari sejak entri", "days since entry"),
                    a.since_index
                ))],
                flag: true,
                under: Vec::new(),
            })
            .collect(),
    ));
    doc.push(Block::Heading(
        2,
        l.t("Serah terima", "Handovers").to_owned(),
    ));
    doc.push(list(
        l,
        r.handovers
            .iter()
            .map(|h| {
                let mut line = vec![text(format!(
                    "#{} {} {} → {}: {} {}",
                    h.index,
                    h.office,
                    h.outgoing,
                    h.incoming,
                    h.listed.len(),
                    l.t("komitmen terbuka dicantumkan", "open commitments listed")
                ))];
                if !h.not_listed.is_empty() {
                    line.push(Span::Strong(format!(
                        "; {}: {}",
                        l.t("tidak dicantumkan", "not listed"),
                        h.not_listed.join(", ")
                    )));
                }
                Item {
                    line,
                    flag: !h.not_listed.is_empty(),
                    under: Vec::new(),
                }
            })
            .collect(),
    ));
    doc.push(Block::Heading(
        2,
        l.t("Pencabutan kunci", "Key revocations").to_owned(),
    ));
    doc.push(list(
        l,
        r.revocations
            .iter()
            .map(|k| {
                item(vec![
                    text(format!("#{} ", k.index)),
                    Span::Code(short(&k.keyid).to_owned()),
                    text(format!(
                        ": «{}»{}",
                        k.reason,
                        k.compromised_since
                            .as_ref()
                            .map(|d| format!(" ({} {d})", l.t("bocor sejak", "compromised since")))
                            .unwrap_or_default()
                    )),
                ])
            })
            .collect(),
    ));
    doc.push(Block::Heading(
        2,
        l.t(
            "Catatan audit tanpa tanggapan",
            "Audit notes without a response",
        )
        .to_owned(),
    ));
    doc.push(list(
        l,
        r.open_audit_notes
            .iter()
            .map(|n| {
                item(vec![text(format!(
                    "#{} {} ({}): «{}»",
                    n.index, n.subject, n.severity, n.finding
                ))])
            })
            .collect(),
    ));
    doc.push(Block::Heading(
        2,
        l.t("Semua entri dalam rentang", "Every entry of the range")
            .to_owned(),
    ));
    doc.push(Block::Table(
        vec![
            "#".to_owned(),
            l.t("Hash daun", "Leaf hash").to_owned(),
            l.t("Dicatat", "Recorded").to_owned(),
            l.t("Pernyataan", "Statement").to_owned(),
        ],
        vec!["n", "h", "t", ""],
        r.entries
            .iter()
            .map(|e| {
                vec![
                    vec![text(e.index.to_string())],
                    vec![Span::Code(e.leaf_hash.clone())],
                    vec![text(e.recorded_at.clone())],
                    vec![text(format!("{} ({})", l.summary(e), e.statement_type))],
                ]
            })
            .collect(),
    ));
    doc.push(Block::Heading(
        2,
        l.t("Memeriksa ulang", "Re-checking").to_owned(),
    ));
    doc.push(Block::Para(vec![text(l.t(
        "Setiap baris menyebut nomor entrinya. Unduh bukti entri (atau buat dari cermin dengan prasasti prove) dan periksa tanpa server:",
        "Every line names its entry. Fetch the entry's proof (or make it from a mirror with prasasti prove) and check it without the server:",
    ))]));
    doc.push(Block::Pre(
        "curl -o N.tlog-proof <URL>/api/v1/entries/<N>/proof\ncurl -o N.entry <URL>/api/v1/entries/<N>\nprasasti check-proof --vkey ledger.vkey --proof N.tlog-proof N.entry\n".to_owned(),
    ));
    doc
}

/// A Unix time as RFC 3339.
fn unix_time(time: u64) -> String {
    i64::try_from(time)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(
            || time.to_string(),
            |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}

fn md_spans(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| match s {
            Span::Text(t) => t.replace('|', "\\|"),
            Span::Code(c) => format!("`{c}`"),
            Span::Strong(t) => format!("**{t}**"),
        })
        .collect::<Vec<_>>()
        .join("")
}

fn to_markdown(doc: &[Block]) -> String {
    let mut md = String::new();
    for block in doc {
        match block {
            Block::Heading(level, t) => {
                md.push_str(&format!("{} {t}\n\n", "#".repeat(usize::from(*level))))
            }
            Block::Para(spans) => md.push_str(&format!("{}\n\n", md_spans(spans))),
            Block::List(items) => {
                for i in items {
                    md.push_str(&format!("- {}\n", md_spans(&i.line)));
                    for under in &i.under {
                        md.push_str(&format!("  - {}\n", md_spans(under)));
                    }
                }
                md.push('\n');
            }
            Block::Pre(t) => md.push_str(&format!("```\n{t}```\n\n")),
            Block::Table(head, _, rows) => {
                md.push_str(&format!("| {} |\n", head.join(" | ")));
                md.push_str(&format!("|{}\n", "---|".repeat(head.len())));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| md_spans(c)).collect();
                    md.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
                md.push('\n');
            }
        }
    }
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

fn html_spans(spans: &[Span]) -> Markup {
    html! {
        @for s in spans {
            @match s {
                Span::Text(t) => (t),
                Span::Code(c) => span.hash { (c) },
                Span::Strong(t) => strong { (t) },
            }
        }
    }
}

fn to_html(r: &AuditReport, l: Labels, doc: &[Block]) -> Markup {
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
        header_line.replace(['\\', '"'], "'")
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
                @for block in doc {
                    @match block {
                        Block::Heading(1, t) => h1 { (t) },
                        Block::Heading(2, t) => h2 { (t) },
                        Block::Heading(_, t) => h3 { (t) },
                        Block::Para(spans) => p { (html_spans(spans)) },
                        Block::List(items) => ul {
                            @for i in items {
                                li.flag[i.flag] { (html_spans(&i.line))
                                    @if !i.under.is_empty() { ul { @for u in &i.under { li { (html_spans(u)) } } } } }
                            }
                        },
                        Block::Pre(t) => pre { (t) },
                        Block::Table(head, widths, rows) => table {
                            thead { tr { @for (h, w) in head.iter().zip(widths) { th class=(w) { (h) } } } }
                            tbody { @for row in rows { tr { @for (c, w) in row.iter().zip(widths) { td class=(w) { (html_spans(c)) } } } } }
                        },
                    }
                }
            }
        }
    }
}
