//! Malformations found by the tolerant parse. Each bit is an observation about
//! the sender, for detectors and reports; none of them stops the parse.

macro_rules! defects {
    ($( $(#[$doc:meta])* $name:ident = $bit:literal, $kebab:literal; )*) => {
        impl Defects {
            $( $(#[$doc])* pub const $name: Defects = Defects(1 << $bit); )*
        }
        /// `(flag, kebab-case name)` for every defect, in bit order.
        const NAMES: &[(Defects, &str)] = &[ $( (Defects::$name, $kebab), )* ];
    };
}

/// A set of defects (hand-rolled bitflags over `u32`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Defects(u32);

defects! {
    /// No Call-ID header (RFC 3261 §8.1.1.4).
    MISSING_CALL_ID = 0, "missing-call-id";
    /// No CSeq header (RFC 3261 §8.1.1.5).
    MISSING_CSEQ = 1, "missing-cseq";
    /// CSeq is not `1*DIGIT LWS Method`, or the number is not below 2**31
    /// (RFC 3261 §8.1.1.5, §20.16; RFC 4475 §3.1.2.4).
    BAD_CSEQ = 2, "bad-cseq";
    /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5;
    /// RFC 4475 §3.1.2.17).
    CSEQ_METHOD_MISMATCH = 3, "cseq-method-mismatch";
    /// No From header (RFC 3261 §8.1.1.3).
    MISSING_FROM = 4, "missing-from";
    /// No To header (RFC 3261 §8.1.1.2).
    MISSING_TO = 5, "missing-to";
    /// No Via header (RFC 3261 §8.1.1.7).
    MISSING_VIA = 6, "missing-via";
    /// A Via value does not parse, or has empty elements or parameters
    /// (RFC 3261 §20.42; RFC 4475 §3.1.2.1).
    BAD_VIA = 7, "bad-via";
    /// Content-Length is not `1*DIGIT`, or several disagree (RFC 3261 §20.14;
    /// RFC 4475 §3.1.2.3, §3.3.9).
    BAD_CONTENT_LENGTH = 8, "bad-content-length";
    /// The body is shorter than Content-Length declares (RFC 3261 §18.3;
    /// RFC 4475 §3.1.2.2).
    CONTENT_LENGTH_MISMATCH = 9, "content-length-mismatch";
    /// A request without Max-Forwards (RFC 3261 §8.1.1.6).
    MISSING_MAX_FORWARDS = 10, "missing-max-forwards";
    /// A line ended by LF alone instead of CRLF (RFC 3261 §7).
    BARE_LF = 11, "bare-lf";
    /// A header value continues on a line starting with SP/HT. Legal in
    /// RFC 3261 §7.3.1 but never emitted by current stacks: a fingerprint.
    OBSOLETE_FOLDING = 12, "obsolete-folding";
    /// A header line without a colon or with a non-token name; the line was
    /// skipped (RFC 3261 §7.3, §25.1).
    BAD_HEADER_LINE = 13, "bad-header-line";
    /// A single-valued header (Call-ID, From, To, CSeq, Max-Forwards,
    /// Content-Length, Content-Type, Expires) appears twice (RFC 4475 §3.3.8).
    DUPLICATE_SINGLETON = 14, "duplicate-singleton";
    /// The Request-URI does not parse, contains LWS, or carries headers
    /// (RFC 3261 §19.1.1; RFC 4475 §3.1.2.7, §3.1.2.8, §3.1.2.11).
    BAD_REQUEST_URI = 15, "bad-request-uri";
    /// SIP-Version is not `SIP/2.0` (RFC 3261 §7.1; RFC 4475 §3.1.2.16).
    BAD_VERSION = 16, "bad-version";
    /// The From value is not a name-addr or addr-spec (RFC 3261 §20.20).
    BAD_FROM = 17, "bad-from";
    /// The To value is not a name-addr or addr-spec (RFC 3261 §20.39).
    BAD_TO = 18, "bad-to";
    /// A Contact value does not parse (RFC 3261 §20.10; RFC 4475 §3.1.2.13).
    BAD_CONTACT = 19, "bad-contact";
    /// Max-Forwards is not a number in 0..=255 (RFC 3261 §20.22).
    BAD_MAX_FORWARDS = 20, "bad-max-forwards";
    /// Expires is not a 32-bit number (RFC 3261 §20.19).
    BAD_EXPIRES = 21, "bad-expires";
    /// Extra SP/HT between or after start-line elements (RFC 3261 §7.1;
    /// RFC 4475 §3.1.2.9, §3.1.2.10).
    START_LINE_WHITESPACE = 22, "start-line-whitespace";
    /// Status code outside 100..=699 (RFC 3261 §7.2).
    BAD_STATUS_CODE = 23, "bad-status-code";
    /// No Content-Length. Optional on UDP, required on streams (RFC 3261 §18.3,
    /// §20.14); the parser cannot know the transport, so this is informational
    /// for datagrams.
    MISSING_CONTENT_LENGTH = 24, "missing-content-length";
    /// Bytes follow the body Content-Length declares; they are ignored
    /// (RFC 3261 §18.3; RFC 4475 §3.1.1.8).
    TRAILING_BYTES = 25, "trailing-bytes";
    /// The header section is not closed by an empty line (RFC 3261 §7).
    UNTERMINATED_HEADERS = 26, "unterminated-headers";
    /// The Date header is not an RFC 1123 date in GMT (RFC 3261 §20.17;
    /// RFC 4475 §3.1.2.12).
    BAD_DATE = 27, "bad-date";
}

impl Defects {
    /// No defects.
    pub const NONE: Defects = Defects(0);

    /// Observations that are legal SIP: folded lines (RFC 3261 §7.3.1), no
    /// Content-Length on a datagram (§18.3, §20.14) and bytes after the body
    /// of a datagram (§18.3). Fingerprints, not malformations.
    pub const INFORMATIONAL: Defects = Defects(
        Defects::OBSOLETE_FOLDING.0 | Defects::MISSING_CONTENT_LENGTH.0 | Defects::TRAILING_BYTES.0,
    );

    /// The defects that break RFC 3261: `self` without [`Defects::INFORMATIONAL`].
    #[must_use]
    pub fn violations(self) -> Defects {
        Defects(self.0 & !Defects::INFORMATIONAL.0)
    }

    /// The raw bits.
    #[must_use]
    pub fn bits(self) -> u32 {
        self.0
    }
    /// True when no bit is set.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// True when every bit of `other` is set in `self`.
    #[must_use]
    pub fn contains(self, other: Defects) -> bool {
        self.0 & other.0 == other.0
    }
    /// Sets the bits of `other`.
    pub fn insert(&mut self, other: Defects) {
        self.0 |= other.0;
    }
    /// Sets the bits of `other` when `cond` holds.
    pub(crate) fn set_if(&mut self, cond: bool, other: Defects) {
        if cond {
            self.insert(other);
        }
    }
    /// Number of bits set.
    #[must_use]
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// Kebab-case names of the set bits, in bit order, for reports.
    pub fn iter(self) -> impl Iterator<Item = &'static str> {
        NAMES
            .iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
    }
    /// The flag with this kebab-case name, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Defects> {
        NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(flag, _)| *flag)
    }
}

impl std::ops::BitOr for Defects {
    type Output = Defects;
    fn bitor(self, rhs: Defects) -> Defects {
        Defects(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Defects {
    fn bitor_assign(&mut self, rhs: Defects) {
        self.0 |= rhs.0;
    }
}

impl std::fmt::Debug for Defects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl std::fmt::Display for Defects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, name) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, (flag, name)) in NAMES.iter().enumerate() {
            assert_eq!(flag.len(), 1, "{name}");
            assert_eq!(Defects::from_name(name), Some(*flag));
            assert!(NAMES[i + 1..].iter().all(|(f, n)| f != flag && n != name));
        }
    }

    #[test]
    fn set_operations() {
        let mut d = Defects::NONE;
        assert!(d.is_empty());
        d.insert(Defects::BARE_LF);
        d |= Defects::BAD_VIA;
        assert!(d.contains(Defects::BARE_LF | Defects::BAD_VIA));
        assert!(!d.contains(Defects::BAD_TO));
        assert_eq!(d.to_string(), "bad-via,bare-lf");
        assert_eq!(format!("{d:?}"), r#"{"bad-via", "bare-lf"}"#);
        d.insert(Defects::OBSOLETE_FOLDING);
        assert_eq!(d.violations(), Defects::BAD_VIA | Defects::BARE_LF);
    }
}
