//! Form bodies as posted by browsers and htmx (`application/x-www-form-urlencoded`), read into
//! a list of fields, plus the conversions pages need (local date-times in a site's zone).

use super::UiError;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

const LIMIT: usize = 256 * 1024;

/// The fields of a posted form, in order (a name may repeat, e.g. checkboxes).
#[derive(Debug, Default)]
pub struct Fields(pub Vec<(String, String)>);

fn decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Fields {
    pub fn parse(body: &str) -> Self {
        Fields(
            body.split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(kv), String::new()),
                })
                .collect(),
        )
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A required field, or a clear error naming it.
    pub fn req(&self, name: &str) -> Result<&str, UiError> {
        self.get(name)
            .ok_or_else(|| UiError::bad(format!("{} is required.", name.replace('_', " "))))
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = UiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, UiError> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(UiError::bad(
                "send the form as application/x-www-form-urlencoded",
            ));
        }
        let bytes = axum::body::to_bytes(req.into_body(), LIMIT)
            .await
            .map_err(|_| UiError::bad("the form is too large"))?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| UiError::bad("the form is not valid text"))?;
        Ok(Fields::parse(text))
    }
}

/// A posted form that may carry files (`multipart/form-data`) or not (urlencoded).
pub struct Submission {
    pub fields: Fields,
    /// (field name, file) for every non-empty file field.
    pub files: Vec<(String, overhaul_app::attachments::Upload)>,
}

/// Largest whole upload request: one file at the limit plus the form around it.
pub const UPLOAD_LIMIT: usize = overhaul_core::attachment::MAX_BYTES + 512 * 1024;

impl<S: Send + Sync> FromRequest<S> for Submission {
    type Rejection = UiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, UiError> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if !multipart {
            let fields = Fields::from_request(req, state).await?;
            return Ok(Submission {
                fields,
                files: vec![],
            });
        }
        let too_big = || {
            UiError::bad(format!(
                "the upload is too large; files may be at most {} MB",
                overhaul_core::attachment::MAX_BYTES / (1024 * 1024)
            ))
        };
        let mut mp = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| UiError::bad("the upload could not be read"))?;
        let mut fields = Fields::default();
        let mut files = vec![];
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_big());
                }
                Err(_) => return Err(UiError::bad("the upload could not be read")),
            };
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    too_big()
                } else {
                    UiError::bad("the upload could not be read")
                }
            })?;
            match filename {
                Some(filename) if !bytes.is_empty() => files.push((
                    name,
                    overhaul_app::attachments::Upload {
                        filename,
                        bytes: bytes.to_vec(),
                    },
                )),
                Some(_) => {}
                None => fields
                    .0
                    .push((name, String::from_utf8_lossy(&bytes).into_owned())),
            }
        }
        Ok(Submission { fields, files })
    }
}

/// A `datetime-local` value ("2026-03-29T06:00") read in the site's zone. A time that does not
/// exist (the hour skipped when clocks go forward) is refused; an ambiguous one (the hour that
/// repeats) takes the first.
pub fn parse_local(field: &str, raw: &str, tz: Tz) -> Result<DateTime<Utc>, UiError> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| {
            UiError::bad(format!(
                "{field}: enter a date and time like 2026-03-29T06:00"
            ))
        })?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            UiError::bad(format!(
                "{field}: {raw} does not exist in {} (the clocks skip it)",
                tz.name()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        let f = Fields::parse("a=1&b=hello+world&c=%C3%A9t%C3%A9&ids=x&ids=y&e=&bad=%zz&t=50%");
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.get("b"), Some("hello world"));
        assert_eq!(f.get("c"), Some("été"));
        assert_eq!(f.all("ids"), ["x", "y"]);
        assert_eq!(f.get("e"), None, "blank is absent");
        assert_eq!(f.get("bad"), Some("%zz"));
        assert_eq!(f.get("t"), Some("50%"));
        assert_eq!(f.get("missing"), None);
    }

    #[test]
    fn local_times_follow_the_site_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // winter: UTC+1
        assert_eq!(
            parse_local("t", "2026-01-15T06:00", berlin)
                .unwrap()
                .to_rfc3339(),
            "2026-01-15T05:00:00+00:00"
        );
        // summer: UTC+2
        assert_eq!(
            parse_local("t", "2026-07-15T06:00", berlin)
                .unwrap()
                .to_rfc3339(),
            "2026-07-15T04:00:00+00:00"
        );
        // 02:30 on 29 March 2026 does not exist in Berlin
        assert!(parse_local("t", "2026-03-29T02:30", berlin).is_err());
        // 02:30 on 25 October 2026 happens twice: the first (summer time) is taken
        assert_eq!(
            parse_local("t", "2026-10-25T02:30", berlin)
                .unwrap()
                .to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
        assert!(parse_local("t", "yesterday", berlin).is_err());
    }
}
