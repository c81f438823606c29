//! The one bounded file reader: every file PAO reads from disk goes through [`read_bounded`], so
//! `/dev/zero`, a FIFO or a huge file costs at most the limit, never the machine's memory.
//!
//! The size comes from the file's metadata where there is one (a regular file larger than the
//! limit is refused before a byte is read); where there is none (a pipe, a character device,
//! `/proc`), reading stops one byte past the limit, which is enough to know it is too large.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest `pao.toml`, CODEOWNERS, values, request or outputs file read, in bytes (also the
/// limit of catalog documents, [`crate::MAX_FILE_BYTES`]).
pub const MAX_INPUT_BYTES: u64 = 2 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The path is a directory.
    #[error("cannot read {}: it is a directory, not a file", path.display())]
    Directory {
        /// The path.
        path: PathBuf,
    },
    /// Larger than the limit.
    #[error("{} is larger than the {} limit for this file; use a smaller file", path.display(), format_size(*limit))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
}

impl ReadError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::Directory { path } | Self::TooLarge { path, .. } => path,
        }
    }
}

/// A byte count as people write limits: `2 MiB`, `512 KiB`, `100 bytes`.
pub fn format_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes % 1024 == 0 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads at most `limit` bytes of the file at `path`.
///
/// # Errors
/// When the file cannot be opened or read, is a directory, or holds more than `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if metadata.is_dir() {
        return Err(ReadError::Directory { path: path.to_owned() });
    }
    let known = metadata.is_file().then_some(metadata.len());
    if known.is_some_and(|len| len > limit) {
        return Err(ReadError::TooLarge { path: path.to_owned(), limit });
    }
    // Sized from the metadata when there is one (a file may still grow while it is read: the
    // `take` below is the hard cap); a small start otherwise.
    let capacity = known.unwrap_or(8 * 1024).min(limit) + 1;
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { path: path.to_owned(), limit });
    }
    Ok(bytes)
}

/// [`read_bounded`], then the bytes as UTF-8 text.
///
/// # Errors
/// As [`read_bounded`], and an `InvalidData` I/O error when the file is not UTF-8.
pub fn read_to_string_bounded(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bounded(path, limit)?;
    String::from_utf8(bytes).map_err(|err| ReadError::Io {
        path: path.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not valid UTF-8 (invalid byte at offset {}); save it as UTF-8", err.utf8_error().valid_up_to()),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_files_and_refuses_large_ones_by_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        std::fs::write(&small, b"abc").unwrap();
        assert_eq!(read_bounded(&small, 3).unwrap(), b"abc");
        let err = read_bounded(&small, 2).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { limit: 2, .. }), "{err}");
        assert!(err.to_string().contains("larger than the 2 bytes limit"), "{err}");
        let err = read_bounded(dir.path(), 10).unwrap_err();
        assert!(matches!(err, ReadError::Directory { .. }), "{err}");
        assert!(matches!(read_bounded(&dir.path().join("missing"), 10), Err(ReadError::Io { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_device_stops_at_the_limit() {
        let err = read_bounded(Path::new("/dev/zero"), MAX_INPUT_BYTES).unwrap_err();
        assert!(err.to_string().contains("larger than the 2 MiB limit"), "{err}");
    }

    #[test]
    fn sizes_read_like_limits() {
        assert_eq!(format_size(2 * 1024 * 1024), "2 MiB");
        assert_eq!(format_size(64 * 1024), "64 KiB");
        assert_eq!(format_size(1000), "1000 bytes");
    }
}
