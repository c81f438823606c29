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
            Self::TooLarge { .. } => 0..0,
            Self::Binary { offset } => offset..offset + 1,
            Self::InvalidUtf8 { offset, len } => offset..offset + len,
        }
    }
}

/// Checks that `bytes` are a plausible YAML text file and returns them as text.
///
/// # Errors
/// When the file is too large, binary (holds a NUL byte) or not UTF-8.
pub fn decode(bytes: &[u8]) -> Result<&str, DecodeError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(DecodeError::TooLarge { size: bytes.len(), limit: MAX_FILE_BYTES });
    }
    if let Some(offset) = memchr::memchr(0, bytes) {
        return Err(DecodeError::Binary { offset });
    }
    std::str::from_utf8(bytes).map_err(|err| DecodeError::InvalidUtf8 {
        offset: err.valid_up_to(),
        len: err.error_len().unwrap_or(bytes.len() - err.valid_up_to()).max(1),
    })
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
}
