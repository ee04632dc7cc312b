//! Errors that stop reading a capture. Each one names the byte offset (in
//! the uncompressed capture) where reading stopped.

use std::io;
use std::path::PathBuf;

/// Why a capture cannot be read (further).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Opening or reading the file failed.
    #[error("reading {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// The first four bytes are neither pcap, pcapng nor gzip.
    #[error(
        "unknown capture format: magic {:02x} {:02x} {:02x} {:02x} is not pcap, pcapng or gzip",
        magic[0], magic[1], magic[2], magic[3]
    )]
    UnknownFormat { magic: [u8; 4] },
    /// The capture ends in the middle of a header or record.
    #[error("capture truncated at byte {offset}: {what} needs {need} bytes, {have} left")]
    Truncated {
        offset: u64,
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// A header or block holds a value that cannot be right.
    #[error("capture corrupt at byte {offset}: {reason}")]
    Corrupt { offset: u64, reason: &'static str },
    /// A record or block is larger than its snap length or than the reader's
    /// bound.
    #[error("capture corrupt at byte {offset}: {what} of {len} bytes exceeds the limit of {limit}")]
    TooLarge {
        offset: u64,
        what: &'static str,
        len: u64,
        limit: u64,
    },
    /// The gzip layer failed (`offset` counts compressed bytes read).
    #[error("gzip stream broken at compressed byte {offset}: {source}")]
    Gzip { offset: u64, source: io::Error },
}

impl CaptureError {
    /// The byte offset the error is about, when it has one.
    #[must_use]
    pub fn offset(&self) -> Option<u64> {
        match self {
            CaptureError::Truncated { offset, .. }
            | CaptureError::Corrupt { offset, .. }
            | CaptureError::TooLarge { offset, .. }
            | CaptureError::Gzip { offset, .. } => Some(*offset),
            CaptureError::Io { .. } | CaptureError::UnknownFormat { .. } => None,
        }
    }
}
