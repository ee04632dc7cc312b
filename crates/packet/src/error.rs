//! Per-frame decode errors. Each one is about one frame only: the decoder
//! counts it and goes on with the next frame.

use crate::hep::HepError;

/// Why one frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A header or a length field needs more bytes than the frame has.
    #[error("{layer} truncated: needs {need} bytes, {have} present")]
    Truncated {
        layer: &'static str,
        need: usize,
        have: usize,
    },
    /// The link type of the frame is not one this crate decodes.
    #[error("unsupported link type {0}")]
    UnsupportedLink(u32),
    /// A header field holds a value that cannot be right.
    #[error("malformed {layer}: {reason}")]
    Malformed {
        layer: &'static str,
        reason: &'static str,
    },
    /// A HEP packet (UDP payload or TCP stream record) is broken.
    #[error("HEP: {0}")]
    Hep(#[from] HepError),
}

impl DecodeError {
    pub(crate) const fn truncated(layer: &'static str, need: usize, have: usize) -> Self {
        DecodeError::Truncated { layer, need, have }
    }

    pub(crate) const fn malformed(layer: &'static str, reason: &'static str) -> Self {
        DecodeError::Malformed { layer, reason }
    }
}
