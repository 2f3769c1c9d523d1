//! Every integration test in one binary (one link, shared helpers in
//! `common`): the API, storage and crash soak, the command line, governance,
//! the site and the browser, conformance vectors and properties, the Go
//! verifier, schemathesis and the fuzz corpus. Storage tests run on SQLite
//! and PostgreSQL (`PRASASTI_TEST_POSTGRES_URL`).

mod common;

mod api;
mod auditor;
mod browser;
mod cli;
mod conformance;
mod desk;
mod desk_browser;
mod fuzz_corpus;
mod go_verifier;
mod governance;
mod governance_properties;
mod properties;
mod schemathesis;
mod storage;
mod web;
mod witness;
mod witnessing;
