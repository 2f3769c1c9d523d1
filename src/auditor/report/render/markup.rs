//! The document written out: Markdown, and HTML that prints on A4 with
//! the two checkpoints in every page's header.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Block, Labels, Span, short};
use crate::auditor::report::AuditReport;

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

pub(super) fn to_markdown(doc: &[Block]) -> String {
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

pub(super) fn to_html(r: &AuditReport, l: Labels, doc: &[Block]) -> Markup {
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
