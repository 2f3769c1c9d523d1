//! The site's two languages and the formats readers expect.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

use crate::governance::model::{Horizon, MandateKind};
use crate::governance::state::{CommitmentStatus, MilestoneStatus};
use crate::governance::views::{MilestoneShown, ProgrammeStatus};

/// The language of a page: Bahasa Indonesia unless English is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Bahasa Indonesia.
    Id,
    /// English.
    En,
}

/// Pages take their language as an extractor: `?lang=` from the query
/// string, else the browser's `Accept-Language`.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Lang, Self::Rejection> {
        #[derive(serde::Deserialize)]
        struct Asked {
            lang: Option<String>,
        }
        let asked = axum::extract::Query::<Asked>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.lang);
        Ok(Lang::pick(asked.as_deref(), &parts.headers))
    }
}

impl Lang {
    /// `?lang=` wins, then the first of `id`/`en` in `Accept-Language`,
    /// then Bahasa Indonesia.
    pub fn pick(query: Option<&str>, headers: &HeaderMap) -> Lang {
        match query {
            Some("en") => return Lang::En,
            Some("id") => return Lang::Id,
            _ => {}
        }
        let accept = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for part in accept.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("id") || tag.starts_with("in") {
                return Lang::Id;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::Id
    }

    /// The text in this language.
    pub fn t<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    /// The `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// A site link in this language: `?lang=en` is kept when English was chosen.
    pub fn link(self, path: &str) -> String {
        match self {
            Lang::Id => path.to_owned(),
            Lang::En if path.contains('?') => format!("{path}&lang=en"),
            Lang::En => format!("{path}?lang=en"),
        }
    }
}

/// Rupiah the Indonesian way: `Rp 1.250.000.000` (the space is no-break).
pub fn rupiah(amount: &str) -> String {
    let digits: Vec<char> = amount.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(*d);
    }
    if out.is_empty() {
        out.push('0');
    }
    format!("Rp\u{a0}{out}")
}

/// A badge: its words and its CSS class.
pub struct Badge {
    /// Plain words.
    pub text: &'static str,
    /// Class naming its colour.
    pub class: &'static str,
}

fn badge(lang: Lang, id: &'static str, en: &'static str, class: &'static str) -> Badge {
    Badge {
        text: lang.t(id, en),
        class,
    }
}

/// A milestone status in plain words.
pub fn milestone_badge(lang: Lang, status: MilestoneShown) -> Badge {
    match status {
        MilestoneShown::Scheduled => badge(lang, "Terjadwal", "Scheduled", "neutral"),
        MilestoneShown::Met => badge(lang, "Tercapai", "Met", "good"),
        MilestoneShown::PartiallyMet => badge(lang, "Tercapai Sebagian", "Partly met", "warn"),
        MilestoneShown::NotMet => badge(lang, "Tidak Tercapai", "Not met", "bad"),
        MilestoneShown::Overdue => badge(lang, "Terlambat", "Overdue", "bad"),
        MilestoneShown::PendingApproval => {
            badge(lang, "Menunggu Persetujuan", "Awaiting approval", "neutral")
        }
    }
}

/// An assessed milestone status in plain words.
pub fn assessed_badge(lang: Lang, status: MilestoneStatus) -> Badge {
    milestone_badge(
        lang,
        match status {
            MilestoneStatus::Scheduled => MilestoneShown::Scheduled,
            MilestoneStatus::Met => MilestoneShown::Met,
            MilestoneStatus::PartiallyMet => MilestoneShown::PartiallyMet,
            MilestoneStatus::NotMet => MilestoneShown::NotMet,
        },
    )
}

/// A commitment status in plain words.
pub fn commitment_badge(lang: Lang, status: CommitmentStatus) -> Badge {
    match status {
        CommitmentStatus::Active => badge(lang, "Berjalan", "Active", "neutral"),
        CommitmentStatus::AwaitingReaffirmation => {
            badge(lang, "Menunggu Penegasan", "Awaiting reaffirmation", "warn")
        }
        CommitmentStatus::Completed => badge(lang, "Selesai", "Completed", "good"),
        CommitmentStatus::Discontinued => badge(lang, "Dihentikan", "Discontinued", "bad"),
    }
}

/// A programme status in plain words.
pub fn programme_badge(lang: Lang, status: ProgrammeStatus) -> Badge {
    match status {
        ProgrammeStatus::Registered => badge(lang, "Terdaftar", "Registered", "neutral"),
        ProgrammeStatus::Active => badge(lang, "Berjalan", "Active", "neutral"),
        ProgrammeStatus::AwaitingReaffirmation => {
            badge(lang, "Menunggu Penegasan", "Awaiting reaffirmation", "warn")
        }
        ProgrammeStatus::Completed => badge(lang, "Selesai", "Completed", "good"),
        ProgrammeStatus::Discontinued => badge(lang, "Dihentikan", "Discontinued", "bad"),
    }
}

/// Roadmap horizon in words.
pub fn horizon(lang: Lang, h: Horizon) -> &'static str {
    match h {
        Horizon::QuickWin => lang.t("Quick win", "Quick win"),
        Horizon::Short => lang.t("Jangka pendek", "Short term"),
        Horizon::Medium => lang.t("Jangka menengah", "Medium term"),
        Horizon::Long => lang.t("Jangka panjang", "Long term"),
    }
}

/// Kind of mandate in the words of Indonesian government.
pub fn mandate_kind(lang: Lang, k: MandateKind) -> &'static str {
    match k {
        MandateKind::Definitive => lang.t("Definitif", "Definitive"),
        MandateKind::Acting => lang.t("Pelaksana Tugas (Plt)", "Acting (Plt)"),
        MandateKind::Daily => lang.t("Pelaksana Harian (Plh)", "Daily stand-in (Plh)"),
        MandateKind::Caretaker => lang.t("Penjabat (Pj)", "Caretaker (Pj)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_groups_thousands_with_dots() {
        assert_eq!(rupiah("1250000000"), "Rp\u{a0}1.250.000.000");
        assert_eq!(rupiah("999"), "Rp\u{a0}999");
        assert_eq!(rupiah("1000"), "Rp\u{a0}1.000");
        assert_eq!(rupiah("0"), "Rp\u{a0}0");
    }

    #[test]
    fn the_query_beats_accept_language_and_indonesian_is_the_default() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::pick(None, &h), Lang::Id);
        h.insert(ACCEPT_LANGUAGE, "en-GB,en;q=0.9".parse().unwrap());
        assert_eq!(Lang::pick(None, &h), Lang::En);
        assert_eq!(Lang::pick(Some("id"), &h), Lang::Id);
        h.insert(ACCEPT_LANGUAGE, "id-ID,id;q=0.9,en;q=0.8".parse().unwrap());
        assert_eq!(Lang::pick(None, &h), Lang::Id);
        assert_eq!(Lang::pick(Some("en"), &h), Lang::En);
    }
}
