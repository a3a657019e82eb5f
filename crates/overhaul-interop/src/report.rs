//! What an import did: records created and found already present per kind of record, rows
//! skipped with their reasons, and source data deliberately left out.

use crate::ImportKind;
use std::fmt;

/// Records of one kind (sites, assets, work orders, downtime records).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: usize,
    pub already_present: usize,
}

/// A source row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// File name (without directory).
    pub file: String,
    /// Line of the file where the row starts (the header is line 1).
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.reason)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub kind: ImportKind,
    /// Data rows read from the source files.
    pub rows_read: usize,
    /// In display order.
    pub tallies: Vec<(&'static str, Tally)>,
    pub skipped: Vec<Skipped>,
    /// Source data read but deliberately not turned into records, and rows merged into others,
    /// one sentence each.
    pub notes: Vec<String>,
}

pub(crate) const SITES: &str = "sites";
pub(crate) const ASSETS: &str = "assets";
pub(crate) const WORK_ORDERS: &str = "work orders";
pub(crate) const DOWNTIME: &str = "downtime records";

impl Report {
    pub(crate) fn new(kind: ImportKind) -> Self {
        Self {
            kind,
            rows_read: 0,
            tallies: [SITES, ASSETS, WORK_ORDERS, DOWNTIME]
                .into_iter()
                .map(|w| (w, Tally::default()))
                .collect(),
            skipped: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The tally of one kind of record (`"assets"`, `"work orders"`, …).
    pub fn tally(&self, what: &str) -> Tally {
        self.tallies
            .iter()
            .find(|(w, _)| *w == what)
            .map(|(_, t)| *t)
            .unwrap_or_default()
    }

    pub(crate) fn tally_mut(&mut self, what: &'static str) -> &mut Tally {
        if let Some(i) = self.tallies.iter().position(|(w, _)| *w == what) {
            &mut self.tallies[i].1
        } else {
            self.tallies.push((what, Tally::default()));
            let last = self.tallies.len() - 1;
            &mut self.tallies[last].1
        }
    }

    pub(crate) fn count(&mut self, what: &'static str, created: bool) {
        let t = self.tally_mut(what);
        if created {
            t.created += 1;
        } else {
            t.already_present += 1;
        }
    }

    /// Records created, all kinds together.
    pub fn created(&self) -> usize {
        self.tallies.iter().map(|(_, t)| t.created).sum()
    }

    /// Records found already present, all kinds together.
    pub fn already_present(&self) -> usize {
        self.tallies.iter().map(|(_, t)| t.already_present).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {} rows read", self.kind, self.rows_read)?;
        writeln!(f, "  {:<18} {:>9} {:>16}", "", "created", "already present")?;
        for (what, t) in &self.tallies {
            writeln!(f, "  {what:<18} {:>9} {:>16}", t.created, t.already_present)?;
        }
        write!(f, "  skipped rows: {}", self.skipped.len())?;
        for s in &self.skipped {
            write!(f, "\n    {s}")?;
        }
        for n in &self.notes {
            write!(f, "\n  note: {n}")?;
        }
        Ok(())
    }
}
