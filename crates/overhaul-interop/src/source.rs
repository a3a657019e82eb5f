//! Reading CSV source files: an RFC 4180 reader (double quotes doubled inside quoted fields, no
//! escape character), columns looked up by header name, every record with its line number.
//! Records that cannot be read (wrong number of fields, invalid UTF-8) are returned as skips.

use crate::ImportError;
use crate::report::Skipped;
use std::path::Path;

/// One data record: the requested columns, in the order asked for.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub line: u64,
    pub fields: Vec<String>,
}

impl Record {
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).map(String::as_str).unwrap_or("")
    }
}

#[derive(Debug)]
pub(crate) struct CsvFile {
    /// File name for messages.
    pub name: String,
    pub records: Vec<Record>,
    pub unreadable: Vec<Skipped>,
}

impl CsvFile {
    /// Data rows in the file, readable or not.
    pub fn rows(&self) -> usize {
        self.records.len() + self.unreadable.len()
    }

    pub fn skip(&self, line: u64, reason: impl Into<String>) -> Skipped {
        Skipped {
            file: self.name.clone(),
            line,
            reason: reason.into(),
        }
    }
}

/// Maps byte offsets to 1-based line numbers. The reader's own line count runs one behind
/// after CRLF line ends (it starts the next record before the LF), so lines are counted here:
/// a record starts at the first byte after its offset that is not a line end.
struct LineIndex<'a> {
    bytes: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let newlines = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Self { bytes, newlines }
    }

    fn line_at(&self, offset: u64) -> u64 {
        let mut at = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while at < self.bytes.len() && matches!(self.bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        1 + self.newlines.partition_point(|n| *n < at) as u64
    }
}

/// Reads `path`, whose header must name every one of `columns`.
pub(crate) fn read(path: &Path, columns: &[&str]) -> Result<CsvFile, ImportError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.to_owned(),
        source,
    })?;
    let lines = LineIndex::new(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .escape(None)
        .double_quote(true)
        .from_reader(bytes.as_slice());
    let format = |message: String| ImportError::Format {
        path: path.to_owned(),
        message,
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format(format!("cannot read the header line: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let mut index = Vec::with_capacity(columns.len());
    for c in columns {
        match headers.iter().position(|h| h == c) {
            Some(i) => index.push(i),
            None => {
                return Err(format(format!(
                    "the header has no column '{c}' (it has: {})",
                    headers.join(", ")
                )));
            }
        }
    }
    let mut out = CsvFile {
        name,
        records: Vec::new(),
        unreadable: Vec::new(),
    };
    let mut raw = csv::ByteRecord::new();
    let mut last_error_at = None;
    loop {
        let line_hint = lines.line_at(reader.position().byte());
        match reader.read_byte_record(&mut raw) {
            Ok(false) => break,
            Ok(true) => {
                let line = raw
                    .position()
                    .map(|p| lines.line_at(p.byte()))
                    .unwrap_or(line_hint);
                if raw.len() != headers.len() {
                    let skip = out.skip(
                        line,
                        format!(
                            "has {} fields where the header has {}",
                            raw.len(),
                            headers.len()
                        ),
                    );
                    out.unreadable.push(skip);
                    continue;
                }
                let mut fields = Vec::with_capacity(index.len());
                let mut bad = None;
                for (&i, c) in index.iter().zip(columns) {
                    match std::str::from_utf8(raw.get(i).unwrap_or_default()) {
                        Ok(s) => fields.push(s.to_owned()),
                        Err(_) => bad = Some(format!("column {c} is not valid UTF-8")),
                    }
                }
                match bad {
                    Some(reason) => {
                        let skip = out.skip(line, reason);
                        out.unreadable.push(skip);
                    }
                    None => out.records.push(Record { line, fields }),
                }
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => {
                    return Err(format(format!("read failed near line {line_hint}: {e}")));
                }
                _ => {
                    // The reader resumes after a bad record; guard against one that does not.
                    let at = reader.position().byte();
                    if last_error_at == Some(at) {
                        return Err(format(format!("cannot read past line {line_hint}: {e}")));
                    }
                    last_error_at = Some(at);
                    let line = e
                        .position()
                        .map(|p| lines.line_at(p.byte()))
                        .unwrap_or(line_hint);
                    let skip = out.skip(line, format!("unreadable record: {e}"));
                    out.unreadable.push(skip);
                }
            },
        }
    }
    Ok(out)
}
