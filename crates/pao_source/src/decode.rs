//! Bytes to text: size, binary and UTF-8 checks before anything is parsed.

use std::ops::Range;

/// Largest catalog file read, in bytes. Catalog documents are a few kilobytes; anything this big
/// is a mistake, and refusing it keeps time and memory bounded.
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;

/// Why bytes are not a readable catalog document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("file is larger than the {limit} bytes a catalog document may have")]
    TooLarge {
        /// Bytes seen; a reader that stops at the limit passes `limit + 1`, so this is a lower bound.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// UTF-16 text (a byte-order mark, or the NUL byte every other byte that ASCII text in
    /// UTF-16 has).
    #[error("file is UTF-16{}, not UTF-8", if *big_endian { " (big-endian)" } else { " (little-endian)" })]
    Utf16 {
        /// Big-endian (`FE FF`) rather than little-endian (`FF FE`).
        big_endian: bool,
    },
    /// Holds a NUL byte, so it is binary, not YAML.
    #[error("file holds a NUL byte at offset {offset}: it is binary, not YAML")]
    Binary {
        /// Offset of the first NUL byte.
        offset: usize,
    },
    /// Not valid UTF-8.
    #[error("file is not valid UTF-8: invalid byte sequence at offset {offset}")]
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
        /// Length of the invalid sequence (at least 1).
        len: usize,
    },
}

impl DecodeError {
    /// The bytes at fault, for pointing at them.
    pub fn range(&self) -> Range<usize> {
        match *self {
            Self::TooLarge { .. } | Self::Utf16 { .. } => 0..0,
            Self::Binary { offset } => offset..offset + 1,
            Self::InvalidUtf8 { offset, len } => offset..offset + len,
        }
    }
}

/// Checks that `bytes` are a plausible YAML text file and returns them as text.
///
/// # Errors
/// When the file is too large, UTF-16, binary (holds a NUL byte) or not UTF-8.
pub fn decode(bytes: &[u8]) -> Result<&str, DecodeError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(DecodeError::TooLarge { size: bytes.len(), limit: MAX_FILE_BYTES });
    }
    let nul = memchr::memchr(0, bytes);
    if nul.is_some() || bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        if let Some(big_endian) = utf16(bytes) {
            return Err(DecodeError::Utf16 { big_endian });
        }
    }
    if let Some(offset) = nul {
        return Err(DecodeError::Binary { offset });
    }
    std::str::from_utf8(bytes).map_err(|err| DecodeError::InvalidUtf8 {
        offset: err.valid_up_to(),
        len: err.error_len().unwrap_or(bytes.len() - err.valid_up_to()).max(1),
    })
}

/// Whether text holding NUL bytes is UTF-16 (and which byte order): a byte-order mark, or, in
/// the first 64 bytes, NUL in every even (big-endian) or every odd (little-endian) position with
/// none in the others, as ASCII text encoded as UTF-16 has.
fn utf16(bytes: &[u8]) -> Option<bool> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some(false),
        [0xFE, 0xFF, ..] => return Some(true),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() < 2 {
        return None;
    }
    let (even, odd): (Vec<u8>, Vec<u8>) = head.chunks_exact(2).map(|pair| (pair[0], pair[1])).unzip();
    let all_nul = |half: &[u8]| half.iter().all(|b| *b == 0);
    let none_nul = |half: &[u8]| half.iter().all(|b| *b != 0);
    if all_nul(&odd) && none_nul(&even) {
        Some(false)
    } else if all_nul(&even) && none_nul(&odd) {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_binary_invalid_utf8_and_huge_input() {
        assert_eq!(decode(b"a: 1\n\0"), Err(DecodeError::Binary { offset: 5 }));
        assert_eq!(decode(b"a: \xff\n"), Err(DecodeError::InvalidUtf8 { offset: 3, len: 1 }));
        let huge = vec![b'a'; MAX_FILE_BYTES + 1];
        assert!(matches!(decode(&huge), Err(DecodeError::TooLarge { .. })));
        assert_eq!(decode("é: ü\n".as_bytes()), Ok("é: ü\n"));
    }

    #[test]
    fn utf16_is_named_as_utf16() {
        let le: Vec<u8> = "\u{feff}a: 1\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = "\u{feff}a: 1\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let bare: Vec<u8> = "apiVersion: pao/v1\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&le), Err(DecodeError::Utf16 { big_endian: false }));
        assert_eq!(decode(&be), Err(DecodeError::Utf16 { big_endian: true }));
        assert_eq!(decode(&bare), Err(DecodeError::Utf16 { big_endian: false }));
        assert_eq!(decode(&le).unwrap_err().to_string(), "file is UTF-16 (little-endian), not UTF-8");
    }
}
