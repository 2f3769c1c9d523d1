//! The statements of the governance model, as typed payloads.
//!
//! Each payload is parsed from the statement object (less its `type`,
//! `ledger` and `id`) with unknown fields refused, into types that can only
//! hold valid values: ids, dates, hashes and keys are checked once here.

pub mod payload;
mod registry;
mod specs;
mod values;
mod vocabulary;

pub use self::payload::Payload;
pub use self::registry::{ParseError, Statement, StatementType};
pub use self::specs::*;
pub use self::values::*;
pub use self::vocabulary::*;
