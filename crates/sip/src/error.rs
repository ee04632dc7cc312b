//! Why a buffer could not be taken as a SIP message at all. Anything that can
//! still be read as SIP is accepted and marked with [`crate::Defects`] instead.

/// What is wrong with a start line that otherwise looks like SIP
/// (RFC 3261 §7.1, §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StartLineFault {
    /// The Status-Code is not three digits (RFC 3261 §7.2; RFC 4475 §3.1.2.19).
    StatusCode,
    /// The Method is not a `token` (RFC 3261 §25.1).
    Method,
    /// A request line with no Request-URI between Method and SIP-Version.
    MissingRequestUri,
}

impl std::fmt::Display for StartLineFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StartLineFault::StatusCode => "status code is not three digits",
            StartLineFault::Method => "method is not a token",
            StartLineFault::MissingRequestUri => "request line has no Request-URI",
        })
    }
}

/// A buffer that cannot be a SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The buffer is empty (or holds only CRLFs, RFC 3261 §7.5).
    #[error("empty message")]
    Empty,
    /// The first line is neither `Method SP Request-URI SP SIP/x.y` nor
    /// `SIP/x.y SP Status-Code ...` (RFC 3261 §7.1, §7.2).
    #[error("not SIP: first line is neither a request line nor a status line")]
    NotSip,
    /// The first line looks like SIP but cannot be read.
    #[error("bad start line: {reason}")]
    BadStartLine {
        /// What is wrong with it.
        reason: StartLineFault,
    },
    /// The buffer exceeds [`crate::MAX_MESSAGE_LEN`].
    #[error("message of {len} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Buffer length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// More header fields than [`crate::MAX_HEADERS`].
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The buffer ends inside the start line or a header line: no line
    /// terminator, so the header section cannot be delimited.
    #[error("truncated: the buffer ends inside the header section at byte {at}")]
    Truncated {
        /// Offset where the unterminated line starts.
        at: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_problem() {
        let e = ParseError::BadStartLine {
            reason: StartLineFault::StatusCode,
        };
        assert_eq!(
            e.to_string(),
            "bad start line: status code is not three digits"
        );
        let e = ParseError::TooLarge {
            len: 70000,
            limit: 65536,
        };
        assert_eq!(
            e.to_string(),
            "message of 70000 bytes exceeds the 65536-byte limit"
        );
    }
}
