//! prasasti: a programme-continuity governance ledger.
//!
//! The house, from the bottom up: [`tlog`] (log mathematics and formats),
//! [`store`] (database entities and the append transaction), [`ledger`]
//! (statements, the append pipeline and the verifier), [`governance`] (the
//! rules as a fold), then [`desk`], [`witness`] and [`auditor`] on top of
//! them, and the edges: [`api`] and [`web`] side by side, the [`server`]
//! that composes them, and [`cli`]. Dependencies point down this list only.

// Nothing from outside the process may panic the server: no unwrap() in
// the library (tests may).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod api;
pub mod auditor;
pub mod cli;
pub mod desk;
pub mod governance;
pub mod ledger;
pub mod metrics;
pub mod server;
pub mod store;
pub mod tlog;
pub mod web;
pub mod witness;

pub use server::serve;
