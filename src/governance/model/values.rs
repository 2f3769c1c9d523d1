//! Values that can only hold valid data: ids, keys, hashes, amounts, NIPs,
//! free text and dates, each checked once when it is read.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone as _, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ledger::statement::is_valid_id;

/// Longest free text accepted in a statement field.
pub const MAX_TEXT: usize = 8000;

macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            /// Parses `text`, refusing anything that is not valid.
            pub fn parse(text: &str) -> Result<Self, String> {
                let check: fn(&str) -> bool = $check;
                if check(text) {
                    Ok(Self(text.to_owned()))
                } else {
                    Err(format!(concat!("{:?} is not ", $what), text))
                }
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

checked_string!(
    /// An identifier of an office, mandate, programme, commitment, milestone
    /// or document: 1 to 128 of `[A-Za-z0-9._:-]`.
    Id,
    is_valid_id,
    "an id (1 to 128 of A-Z a-z 0-9 . _ : -)"
);
checked_string!(
    /// An Ed25519 public key: 64 lowercase hex digits of a valid point.
    KeyId,
    |t| t.len() == 64
        && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && hex::decode(t)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .is_some_and(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).is_ok()),
    "an Ed25519 public key in 64 lowercase hex digits"
);
checked_string!(
    /// A SHA-256 digest: 64 lowercase hex digits.
    Sha256,
    |t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
    "a SHA-256 digest in 64 lowercase hex digits"
);
checked_string!(
    /// An amount of rupiah: a non-negative integer in decimal digits.
    Amount,
    |t| !t.is_empty()
        && t.len() <= 20
        && t.bytes().all(|b| b.is_ascii_digit())
        && (t == "0" || !t.starts_with('0')),
    "an amount (an integer in decimal digits, no sign, no leading zero)"
);
checked_string!(
    /// A civil servant's number (NIP, Nomor Induk Pegawai) in its one
    /// spelling: 18 digits, no spaces — the birth date (YYYYMMDD), the
    /// appointment month (YYYYMM), the sex (1 or 2) and a sequence number.
    /// One spelling makes one person one NIP.
    Nip,
    |t| t.len() == 18
        && t.bytes().all(|b| b.is_ascii_digit())
        && NaiveDate::parse_from_str(&t[..8], "%Y%m%d").is_ok()
        && matches!(&t[14..15], "1" | "2"),
    "an 18-digit NIP without spaces (birth date, appointment month, sex 1 or 2, sequence)"
);
checked_string!(
    /// Free text: not blank, at most 8000 characters.
    Text,
    |t| !t.trim().is_empty() && t.chars().count() <= MAX_TEXT,
    "text (not blank, at most 8000 characters)"
);

/// A date or date-time in RFC 3339: `2026-02-20` or `2026-02-20T09:00:00+07:00`.
/// A date alone means the start of that day in the government's time zone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, utoipa::ToSchema)]
#[schema(value_type = String)]
pub struct Date(String);

impl Date {
    /// Parses an RFC 3339 full-date or date-time.
    pub fn parse(text: &str) -> Result<Date, String> {
        let ok = if text.len() == 10 {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
        } else {
            DateTime::parse_from_rfc3339(text).is_ok()
        };
        if ok {
            Ok(Date(text.to_owned()))
        } else {
            Err(format!(
                "{text:?} is not an RFC 3339 date (2026-02-20) or date-time (2026-02-20T09:00:00+07:00)"
            ))
        }
    }

    /// The instant it names, reading a date alone in time zone `tz`.
    pub fn instant(&self, tz: FixedOffset) -> DateTime<Utc> {
        if let Ok(t) = DateTime::parse_from_rfc3339(&self.0) {
            return t.with_timezone(&Utc);
        }
        let day = NaiveDate::parse_from_str(&self.0, "%Y-%m-%d").unwrap_or_default();
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        tz.from_local_datetime(&midnight)
            .single()
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The government's time zone: one of Indonesia's three, by IANA name.
pub fn time_zone_offset(name: &str) -> Option<FixedOffset> {
    let hours = match name {
        "Asia/Jakarta" | "Asia/Pontianak" => 7,
        "Asia/Makassar" => 8,
        "Asia/Jayapura" => 9,
        _ => return None,
    };
    FixedOffset::east_opt(hours * 3600)
}

/// The six national smart-city dimensions.
pub fn default_pillars() -> Vec<super::Pillar> {
    let p = |id: &str, name_id: &str, name_en: &str| super::Pillar {
        id: Id(id.into()),
        name_id: Text(name_id.into()),
        name_en: Text(name_en.into()),
    };
    vec![
        p("governance", "Tata Kelola Cerdas", "Smart Governance"),
        p("branding", "Branding Cerdas", "Smart Branding"),
        p("economy", "Ekonomi Cerdas", "Smart Economy"),
        p("living", "Kehidupan Cerdas", "Smart Living"),
        p("society", "Masyarakat Cerdas", "Smart Society"),
        p("environment", "Lingkungan Cerdas", "Smart Environment"),
    ]
}
