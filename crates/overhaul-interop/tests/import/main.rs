//! The importers against the real histories in `../shared/data`, on SQLite or (with
//! `OVERHAUL_TEST_DATABASE_URL`) PostgreSQL. Expected figures are computed here from the CSV
//! files with the test's own parsing, never with the importer's code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod azure_pdm;
mod excavator_mwo;
mod historic_work;
mod readings;
mod support;
