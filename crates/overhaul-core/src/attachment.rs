//! Uploaded files (photos of a leak, a signed report): which kinds are accepted, judged by
//! their content and never by the name or the type the client claims, and the size limit.

/// Largest accepted file.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

text_enum!(
    /// What a file really is, from its first bytes.
    FileKind {
        Jpeg => "jpeg",
        Png => "png",
        Webp => "webp",
        Pdf => "pdf",
    }
);

impl FileKind {
    /// The content type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
            FileKind::Pdf => "application/pdf",
        }
    }

    pub fn is_image(self) -> bool {
        !matches!(self, FileKind::Pdf)
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
            FileKind::Pdf => "pdf",
        }
    }
}

/// Judges a file by its bytes. Images must also be whole: a PNG must carry its header chunk and
/// end chunk, a JPEG its start and end markers, so a truncated upload or a renamed page of HTML
/// is refused with the reason.
pub fn inspect(bytes: &[u8]) -> Result<FileKind, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "the file is {} MB; the limit is {} MB",
            bytes.len().div_ceil(1024 * 1024),
            MAX_BYTES / (1024 * 1024)
        ));
    }
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG) {
        let whole = bytes.len() >= 8 + 25 + 12
            && &bytes[12..16] == b"IHDR"
            && bytes[bytes.len() - 8..bytes.len() - 4] == *b"IEND";
        return if whole {
            Ok(FileKind::Png)
        } else {
            Err("the PNG image is damaged or cut short".into())
        };
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return if bytes.len() > 4 && bytes[bytes.len() - 2..] == [0xFF, 0xD9] {
            Ok(FileKind::Jpeg)
        } else {
            Err("the JPEG image is damaged or cut short".into())
        };
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        return if declared + 8 == bytes.len() {
            Ok(FileKind::Webp)
        } else {
            Err("the WebP image is damaged or cut short".into())
        };
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(FileKind::Pdf);
    }
    Err("only photos (JPEG, PNG, WebP) and PDF documents are accepted".into())
}

/// A file name fit to show and to offer in a download: no directories, no control characters,
/// at most 120 characters, never empty.
pub fn display_name(raw: &str, kind: FileKind) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .take(120)
        .collect();
    let clean = clean.trim().trim_start_matches('.').trim().to_owned();
    if clean.is_empty() {
        format!("file.{}", kind.extension())
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend([0, 0, 0, 13]);
        v.extend(b"IHDR");
        v.extend([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
        v.extend([0x90, 0x77, 0x53, 0xDE]);
        v.extend([0, 0, 0, 0]);
        v.extend(b"IEND");
        v.extend([0xAE, 0x42, 0x60, 0x82]);
        v
    }

    #[test]
    fn files_are_judged_by_their_content() {
        let mut webp = b"RIFF".to_vec();
        webp.extend(12_u32.to_le_bytes());
        webp.extend(b"WEBPVP8 ");
        webp.extend([0, 0, 0, 0]);
        let cases: Vec<(&str, Vec<u8>, Result<FileKind, &str>)> = vec![
            ("png", png(), Ok(FileKind::Png)),
            ("png cut short", png()[..30].to_vec(), Err("damaged")),
            (
                "jpeg",
                vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 0xFF, 0xD9],
                Ok(FileKind::Jpeg),
            ),
            (
                "jpeg cut short",
                vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2],
                Err("damaged"),
            ),
            ("webp", webp.clone(), Ok(FileKind::Webp)),
            ("webp wrong length", webp[..18].to_vec(), Err("damaged")),
            ("pdf", b"%PDF-1.7\n...".to_vec(), Ok(FileKind::Pdf)),
            (
                "html named photo.jpg",
                b"<html><script>alert(1)</script>".to_vec(),
                Err("only photos"),
            ),
            (
                "svg",
                b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
                Err("only photos"),
            ),
            ("empty", vec![], Err("empty")),
            ("too big", vec![b'%'; MAX_BYTES + 1], Err("limit is 10 MB")),
        ];
        for (name, bytes, want) in cases {
            match (inspect(&bytes), want) {
                (Ok(k), Ok(w)) => assert_eq!(k, w, "{name}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn names_lose_paths_and_tricks() {
        let cases = [
            ("../../etc/passwd", FileKind::Pdf, "passwd"),
            ("C:\\Users\\me\\leak.jpg", FileKind::Jpeg, "leak.jpg"),
            ("\"evil\"\r\n.png", FileKind::Png, "evil.png"),
            ("", FileKind::Jpeg, "file.jpg"),
            ("...", FileKind::Pdf, "file.pdf"),
            (".hidden.png", FileKind::Png, "hidden.png"),
        ];
        for (raw, kind, want) in cases {
            assert_eq!(display_name(raw, kind), want, "{raw:?}");
        }
        assert_eq!(display_name(&"a".repeat(500), FileKind::Pdf).len(), 120);
    }
}
