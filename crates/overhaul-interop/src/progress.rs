//! A one-line progress display on standard error (`azure-pdm: 1200/7966 rows`), redrawn in
//! place while an import runs. It stays silent when standard error is not a terminal, so logs
//! and test output are not filled with carriage returns.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const REDRAW_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub struct Progress {
    label: String,
    total: usize,
    done: usize,
    visible: bool,
    drawn_at: Option<Instant>,
}

impl Progress {
    /// Progress on standard error, shown only when it is a terminal.
    pub fn stderr(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            total: 0,
            done: 0,
            visible: std::io::stderr().is_terminal(),
            drawn_at: None,
        }
    }

    /// Progress that is counted but never shown.
    pub fn hidden() -> Self {
        Self {
            visible: false,
            ..Self::stderr("")
        }
    }

    pub fn done(&self) -> usize {
        self.done
    }

    pub fn total(&self) -> usize {
        self.total
    }

    pub(crate) fn set_total(&mut self, total: usize) {
        self.total = total;
        self.draw(true);
    }

    pub(crate) fn advance(&mut self, rows: usize) {
        self.done += rows;
        self.draw(false);
    }

    fn draw(&mut self, force: bool) {
        if !self.visible {
            return;
        }
        let due = self.drawn_at.is_none_or(|t| t.elapsed() >= REDRAW_EVERY);
        if force || due || (self.total > 0 && self.done == self.total) {
            let mut err = std::io::stderr().lock();
            if self.total == 0 {
                // The total is not known (an export): count only.
                let _ = write!(err, "\r{}: {} rows", self.label, self.done);
            } else {
                let _ = write!(err, "\r{}: {}/{} rows", self.label, self.done, self.total);
            }
            let _ = err.flush();
            self.drawn_at = Some(Instant::now());
        }
    }

    /// Draws the final count and ends the line.
    pub fn finish(&mut self) {
        if self.visible && self.drawn_at.is_some() {
            self.draw(true);
            let _ = writeln!(std::io::stderr());
            self.drawn_at = None;
        }
    }
}
