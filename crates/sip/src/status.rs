//! Status codes (RFC 3261 §7.2, §21).

/// A response status code. Any three-digit value is representable; the
/// classes follow RFC 3261 §7.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// 100 Trying (RFC 3261 §21.1.1).
    pub const TRYING: Self = Self(100);
    /// 180 Ringing (RFC 3261 §21.1.2).
    pub const RINGING: Self = Self(180);
    /// 183 Session Progress (RFC 3261 §21.1.5).
    pub const SESSION_PROGRESS: Self = Self(183);
    /// 200 OK (RFC 3261 §21.2.1).
    pub const OK: Self = Self(200);
    /// 202 Accepted (RFC 6665 §8.3.1).
    pub const ACCEPTED: Self = Self(202);
    /// 302 Moved Temporarily (RFC 3261 §21.3.3).
    pub const MOVED_TEMPORARILY: Self = Self(302);
    /// 400 Bad Request (RFC 3261 §21.4.1).
    pub const BAD_REQUEST: Self = Self(400);
    /// 401 Unauthorized (RFC 3261 §21.4.2).
    pub const UNAUTHORIZED: Self = Self(401);
    /// 403 Forbidden (RFC 3261 §21.4.4).
    pub const FORBIDDEN: Self = Self(403);
    /// 404 Not Found (RFC 3261 §21.4.5).
    pub const NOT_FOUND: Self = Self(404);
    /// 405 Method Not Allowed (RFC 3261 §21.4.6).
    pub const METHOD_NOT_ALLOWED: Self = Self(405);
    /// 407 Proxy Authentication Required (RFC 3261 §21.4.8).
    pub const PROXY_AUTHENTICATION_REQUIRED: Self = Self(407);
    /// 408 Request Timeout (RFC 3261 §21.4.9).
    pub const REQUEST_TIMEOUT: Self = Self(408);
    /// 480 Temporarily Unavailable (RFC 3261 §21.4.18).
    pub const TEMPORARILY_UNAVAILABLE: Self = Self(480);
    /// 481 Call/Transaction Does Not Exist (RFC 3261 §21.4.19).
    pub const CALL_DOES_NOT_EXIST: Self = Self(481);
    /// 484 Address Incomplete (RFC 3261 §21.4.22).
    pub const ADDRESS_INCOMPLETE: Self = Self(484);
    /// 486 Busy Here (RFC 3261 §21.4.24).
    pub const BUSY_HERE: Self = Self(486);
    /// 487 Request Terminated (RFC 3261 §21.4.25).
    pub const REQUEST_TERMINATED: Self = Self(487);
    /// 488 Not Acceptable Here (RFC 3261 §21.4.26).
    pub const NOT_ACCEPTABLE_HERE: Self = Self(488);
    /// 500 Server Internal Error (RFC 3261 §21.5.1).
    pub const SERVER_INTERNAL_ERROR: Self = Self(500);
    /// 501 Not Implemented (RFC 3261 §21.5.2).
    pub const NOT_IMPLEMENTED: Self = Self(501);
    /// 503 Service Unavailable (RFC 3261 §21.5.4).
    pub const SERVICE_UNAVAILABLE: Self = Self(503);
    /// 505 Version Not Supported (RFC 3261 §21.5.6).
    pub const VERSION_NOT_SUPPORTED: Self = Self(505);
    /// 600 Busy Everywhere (RFC 3261 §21.6.1).
    pub const BUSY_EVERYWHERE: Self = Self(600);
    /// 603 Decline (RFC 3261 §21.6.2).
    pub const DECLINE: Self = Self(603);

    /// The class digit (1 for 1xx, ..., 6 for 6xx).
    #[must_use]
    pub fn class(self) -> u16 {
        self.0 / 100
    }
    /// 1xx (RFC 3261 §21.1).
    #[must_use]
    pub fn is_provisional(self) -> bool {
        self.class() == 1
    }
    /// 2xx (RFC 3261 §21.2).
    #[must_use]
    pub fn is_success(self) -> bool {
        self.class() == 2
    }
    /// 3xx (RFC 3261 §21.3).
    #[must_use]
    pub fn is_redirection(self) -> bool {
        self.class() == 3
    }
    /// 4xx (RFC 3261 §21.4).
    #[must_use]
    pub fn is_client_error(self) -> bool {
        self.class() == 4
    }
    /// 5xx (RFC 3261 §21.5).
    #[must_use]
    pub fn is_server_error(self) -> bool {
        self.class() == 5
    }
    /// 6xx (RFC 3261 §21.6).
    #[must_use]
    pub fn is_global_failure(self) -> bool {
        self.class() == 6
    }
    /// 2xx-6xx: ends the transaction (RFC 3261 §7.2).
    #[must_use]
    pub fn is_final(self) -> bool {
        (2..=6).contains(&self.class())
    }
    /// Within 100..=699, the range RFC 3261 §7.2 defines classes for.
    #[must_use]
    pub fn is_valid(self) -> bool {
        (100..=699).contains(&self.0)
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::StatusCode;

    #[test]
    fn classes() {
        assert!(StatusCode::TRYING.is_provisional() && !StatusCode::TRYING.is_final());
        assert!(StatusCode::OK.is_success() && StatusCode::OK.is_final());
        assert!(StatusCode::UNAUTHORIZED.is_client_error());
        assert!(StatusCode::SERVICE_UNAVAILABLE.is_server_error());
        assert!(StatusCode::DECLINE.is_global_failure());
        assert!(StatusCode::MOVED_TEMPORARILY.is_redirection());
        assert!(!StatusCode(99).is_valid() && !StatusCode(700).is_valid());
        assert_eq!(StatusCode(7).to_string(), "007");
    }
}
