//! The report written out: JSON (stable, for other tools), Markdown, and
//! HTML that prints on A4 with the two checkpoints in every page's header
//! and page numbers in the footer. Bahasa Indonesia by default.
//!
//! Markdown and HTML are one document ([`Block`]s, said once in
//! [`document`]) written out two ways ([`markup`]).

mod document;
mod markup;

use self::document::document;
use self::markup::{to_html, to_markdown};
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
