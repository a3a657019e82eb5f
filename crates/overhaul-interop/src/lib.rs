//! Importers of maintenance histories kept elsewhere: `overhaul import KIND PATH`.
//!
//! Every importer writes through the application layer (`overhaul_app::App`), so each record
//! carries its audit record and the same rules apply as for records typed in. Importing is
//! idempotent: sites and assets are found again by code, historic work orders and downtime by
//! ids derived from their source rows (UUIDv5), so a second run creates nothing and reports
//! everything as already present. Rows that cannot be imported are skipped and reported with
//! their file, line and reason; they never abort an import.
//!
//! The mapping of each data set, and the definition of the exposure-based MTBF that the tests
//! check against the Azure PdM files, are written down in this crate's `README.md`.

mod azure_pdm;
mod excavator_mwo;
pub mod export;
mod hierarchy;
mod ids;
mod progress;
mod readings;
mod report;
mod source;

pub use azure_pdm::{FAILURE_DOWNTIME_HOURS, SITE_CODE as AZURE_SITE_CODE};
pub use excavator_mwo::SITE_CODE as EXCAVATOR_SITE_CODE;
pub use export::{ExportError, ExportKind, export};
pub use progress::Progress;
pub use report::{Report, Skipped, Tally};

use overhaul_app::{App, AppError, Ctx};
use std::fmt;
use std::path::{Path, PathBuf};

/// The histories Overhaul can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// Microsoft's Azure predictive-maintenance sample fleet: a directory with `PdM_machines.csv`,
    /// `PdM_failures.csv`, `PdM_maint.csv` and `PdM_errors.csv`.
    AzurePdm,
    /// The mining-excavator work-order history of Hodkiewicz & Ho (2016): one CSV file.
    ExcavatorMwo,
    /// Signal readings: a CSV file with the columns `signal_id` (or `signal`), `time`, `value`.
    Readings,
}

impl ImportKind {
    pub const ALL: [ImportKind; 3] = [
        ImportKind::AzurePdm,
        ImportKind::ExcavatorMwo,
        ImportKind::Readings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::AzurePdm => "azure-pdm",
            ImportKind::ExcavatorMwo => "excavator-mwo",
            ImportKind::Readings => "readings",
        }
    }

    /// Parses a kind as typed on the command line.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                format!(
                    "unknown import kind '{raw}': use one of {}",
                    Self::ALL.map(ImportKind::as_str).join(", ")
                )
            })
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an import stopped. Bad rows are not errors (they are skipped and reported); these are
/// problems with the input as a whole or with the database.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Format { path: PathBuf, message: String },
    #[error(transparent)]
    App(#[from] AppError),
}

/// Imports the history at `path` as `kind`, reporting progress, and returns what was done.
pub async fn import(
    app: &App,
    ctx: &Ctx,
    kind: ImportKind,
    path: &Path,
    progress: &mut Progress,
) -> Result<Report, ImportError> {
    let report = match kind {
        ImportKind::AzurePdm => azure_pdm::import(app, ctx, path, progress).await?,
        ImportKind::ExcavatorMwo => excavator_mwo::import(app, ctx, path, progress).await?,
        ImportKind::Readings => readings::import(app, ctx, path, progress).await?,
    };
    progress.finish();
    Ok(report)
}
