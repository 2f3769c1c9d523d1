//! The auditor's toolkit beyond `verify`: a mirror of the whole log kept
//! offline, and a monitor that raises the alarm. Built on [`crate::ledger::verify`] and [`crate::tlog`]; the
//! command line draws the progress.

pub mod mirror;
pub mod monitor;
pub mod report;
