//! Header field names (RFC 3261 §7.3, §20) and their compact forms
//! (RFC 3261 §7.3.3, IANA "Header Fields" registry).

macro_rules! header_names {
    ($( $(#[$doc:meta])* $variant:ident = $full:literal, $compact:expr; )*) => {
        /// A header field name. Known names are matched ASCII-case-insensitively
        /// and in compact form (`v` is [`HeaderName::Via`]); anything else is
        /// [`HeaderName::Other`] with the bytes as received. Two `Other` values
        /// compare equal when their bytes match ignoring ASCII case
        /// (RFC 3261 §7.3.1).
        #[derive(Debug, Clone, Copy, Eq)]
        pub enum HeaderName<'a> {
            $( $(#[$doc])* $variant, )*
            /// Any other field name, bytes as received.
            Other(&'a [u8]),
        }

        /// Dense ids in declaration order.
        #[repr(u8)]
        #[allow(dead_code)]
        enum Index { $( $variant, )* }

        /// Every known name: variant, full name, compact letter (0 when none),
        /// indexed by id.
        const KNOWN: &[(HeaderName<'static>, &[u8], u8)] = &[ $( (HeaderName::$variant, $full, $compact), )* ];

        impl HeaderName<'_> {
            /// The dense id of a known name; [`OTHER_ID`] for `Other`.
            pub(crate) const fn known_id(&self) -> u8 {
                match self {
                    $( HeaderName::$variant => Index::$variant as u8, )*
                    HeaderName::Other(_) => OTHER_ID,
                }
            }
        }
    };
}

header_names! {
    /// RFC 3261 §20.42, compact `v`.
    Via = b"Via", b'v';
    /// RFC 3261 §20.20, compact `f`.
    From = b"From", b'f';
    /// RFC 3261 §20.39, compact `t`.
    To = b"To", b't';
    /// RFC 3261 §20.8, compact `i`.
    CallId = b"Call-ID", b'i';
    /// RFC 3261 §20.16.
    CSeq = b"CSeq", 0;
    /// RFC 3261 §20.10, compact `m`.
    Contact = b"Contact", b'm';
    /// RFC 3261 §20.22.
    MaxForwards = b"Max-Forwards", 0;
    /// RFC 3261 §20.14, compact `l`.
    ContentLength = b"Content-Length", b'l';
    /// RFC 3261 §20.15, compact `c`.
    ContentType = b"Content-Type", b'c';
    /// RFC 3261 §20.12, compact `e`.
    ContentEncoding = b"Content-Encoding", b'e';
    /// RFC 3261 §20.41.
    UserAgent = b"User-Agent", 0;
    /// RFC 3261 §20.35.
    Server = b"Server", 0;
    /// RFC 3261 §20.5.
    Allow = b"Allow", 0;
    /// RFC 3261 §20.1.
    Accept = b"Accept", 0;
    /// RFC 3261 §20.37, compact `k`.
    Supported = b"Supported", b'k';
    /// RFC 3261 §20.7.
    Authorization = b"Authorization", 0;
    /// RFC 3261 §20.28.
    ProxyAuthorization = b"Proxy-Authorization", 0;
    /// RFC 3261 §20.44.
    WwwAuthenticate = b"WWW-Authenticate", 0;
    /// RFC 3261 §20.27.
    ProxyAuthenticate = b"Proxy-Authenticate", 0;
    /// RFC 3261 §20.19.
    Expires = b"Expires", 0;
    /// RFC 3261 §20.30.
    RecordRoute = b"Record-Route", 0;
    /// RFC 3261 §20.34.
    Route = b"Route", 0;
    /// RFC 3261 §20.36, compact `s`.
    Subject = b"Subject", b's';
    /// RFC 6665 §8.2.1, compact `o`.
    Event = b"Event", b'o';
    /// RFC 6665 §8.2.2, compact `u`.
    AllowEvents = b"Allow-Events", b'u';
    /// RFC 3515 §2.1, compact `r`.
    ReferTo = b"Refer-To", b'r';
    /// RFC 3892 §3, compact `b`.
    ReferredBy = b"Referred-By", b'b';
    /// RFC 4028 §4, compact `x`.
    SessionExpires = b"Session-Expires", b'x';
    /// RFC 8224 §4, compact `y`.
    Identity = b"Identity", b'y';
    /// RFC 3261 §20.32.
    Require = b"Require", 0;
    /// RFC 3261 §20.29.
    ProxyRequire = b"Proxy-Require", 0;
    /// RFC 3261 §20.17.
    Date = b"Date", 0;
    /// RFC 3261 §20.33.
    RetryAfter = b"Retry-After", 0;
    /// RFC 3261 §20.43.
    Warning = b"Warning", 0;
}

/// Number of known names: ids `0..KNOWN_COUNT`.
pub(crate) const KNOWN_COUNT: usize = KNOWN.len();
/// Internal id of [`HeaderName::Other`].
pub(crate) const OTHER_ID: u8 = u8::MAX;
/// Longest known full name (`Proxy-Authorization` is 19).
const MAX_NAME_LEN: usize = 20;
const EMPTY: u8 = u8::MAX;
/// Size of the perfect-hash table of full names.
const SLOTS: usize = 128;

/// Hash of a full name from its length and folded first and last bytes.
/// [`BY_HASH`] is built at compile time and fails to compile on a collision.
const fn slot(len: usize, first: u8, last: u8) -> usize {
    (len + (first as usize) * 2 + (last as usize) * 5) % SLOTS
}

/// Ids of known full names by [`slot`].
const BY_HASH: [u8; SLOTS] = {
    let mut table = [EMPTY; SLOTS];
    let mut i = 0;
    while i < KNOWN.len() {
        let name = KNOWN[i].1;
        let h = slot(name.len(), name[0] | 0x20, name[name.len() - 1] | 0x20);
        assert!(table[h] == EMPTY, "header name hash collision");
        table[h] = i as u8;
        i += 1;
    }
    table
};

/// Ids of compact forms, indexed by lowercase ASCII letter.
const COMPACT: [u8; 128] = {
    let mut table = [EMPTY; 128];
    let mut i = 0;
    while i < KNOWN.len() {
        let c = KNOWN[i].2;
        if c != 0 {
            table[c as usize] = i as u8;
        }
        i += 1;
    }
    table
};

/// Known full names as little-endian words, lowercased, zero beyond their
/// length, by id; with the OR-masks that fold case only where the name has a
/// letter, so `-` must match exactly.
const FOLDED: [([u64; 3], [u64; 3]); KNOWN.len()] = {
    let mut t = [([0u64; 3], [0u64; 3]); KNOWN.len()];
    let mut i = 0;
    while i < KNOWN.len() {
        let name = KNOWN[i].1;
        let mut j = 0;
        while j < name.len() {
            let shift = 8 * (j % 8);
            let fold: u8 = if name[j].is_ascii_alphabetic() {
                0x20
            } else {
                0
            };
            t[i].0[j / 8] |= ((name[j] | fold) as u64) << shift;
            t[i].1[j / 8] |= (fold as u64) << shift;
            j += 1;
        }
        i += 1;
    }
    t
};

/// Classifies a field name to its internal id ([`OTHER_ID`] when unknown).
/// The name is the first `len` bytes of `tail`; bytes after it in `tail`
/// (the rest of the header line) let the compare load whole words. The
/// compare is exact (ASCII case-insensitive on letters only), so a known id
/// also proves the name is a `token`. Hot path: one perfect-hash lookup and
/// up to three word compares.
#[inline]
pub(crate) fn classify_at(tail: &[u8], len: usize) -> u8 {
    let Some(name) = tail.get(..len) else {
        return OTHER_ID;
    };
    if len == 1 {
        let c = name[0];
        return if c.is_ascii_alphabetic() {
            COMPACT[usize::from(c | 0x20)]
        } else {
            OTHER_ID
        };
    }
    if len == 0 || len > MAX_NAME_LEN {
        return OTHER_ID;
    }
    let id = BY_HASH[slot(len, name[0] | 0x20, name[len - 1] | 0x20)];
    let Some((want, fold)) = FOLDED.get(usize::from(id)) else {
        return OTHER_ID;
    };
    for k in 0..3 {
        let from = 8 * k;
        if from >= len {
            break;
        }
        let remaining = len - from;
        let mask = if remaining >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * remaining)) - 1
        };
        let word = match tail.get(from..from + 8) {
            Some(bytes) => u64::from_le_bytes(bytes.try_into().unwrap_or_default()),
            None => name[from..]
                .iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
        };
        if (word | fold[k]) & mask != want[k] {
            return OTHER_ID;
        }
    }
    // The slot may hold a longer name sharing these bytes.
    if KNOWN[usize::from(id)].1.len() == len {
        id
    } else {
        OTHER_ID
    }
}

/// [`classify_at`] for a bare name.
pub(crate) fn classify(name: &[u8]) -> u8 {
    classify_at(name, name.len())
}

impl<'a> HeaderName<'a> {
    /// Classifies name bytes: full or compact form, ASCII-case-insensitive.
    #[must_use]
    pub fn from_bytes(name: &'a [u8]) -> Self {
        Self::from_id(classify(name), name)
    }

    pub(crate) fn from_id(id: u8, raw: &'a [u8]) -> Self {
        KNOWN
            .get(usize::from(id))
            .map_or(HeaderName::Other(raw), |k| k.0)
    }

    /// Internal id; [`OTHER_ID`] for `Other`. Re-classifies `Other` bytes so
    /// `Other(b"via")` finds the Via headers.
    pub(crate) fn id(&self) -> u8 {
        match self {
            HeaderName::Other(raw) => classify(raw),
            known => known.known_id(),
        }
    }

    /// The canonical full name (`Call-ID`), or the raw bytes for `Other`.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        match self {
            HeaderName::Other(raw) => raw,
            known => KNOWN
                .get(usize::from(known.known_id()))
                .map_or(&b""[..], |k| k.1),
        }
    }

    /// The compact form letter, if the name has one (RFC 3261 §7.3.3).
    #[must_use]
    pub fn compact(&self) -> Option<u8> {
        KNOWN
            .get(usize::from(self.known_id()))
            .and_then(|k| (k.2 != 0).then_some(k.2))
    }
}

impl PartialEq for HeaderName<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl std::fmt::Display for HeaderName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_classifies_to_itself() {
        for (i, (name, full, compact)) in KNOWN.iter().enumerate() {
            assert_eq!(classify(full), i as u8, "{name}");
            assert_eq!(classify(&full.to_ascii_lowercase()), i as u8);
            assert_eq!(classify(&full.to_ascii_uppercase()), i as u8);
            assert_eq!(HeaderName::from_bytes(full), *name);
            assert_eq!(name.as_bytes(), *full);
            if *compact != 0 {
                assert_eq!(HeaderName::from_bytes(&[*compact]), *name);
                assert_eq!(
                    HeaderName::from_bytes(&[compact.to_ascii_uppercase()]),
                    *name
                );
                assert_eq!(name.compact(), Some(*compact));
            }
        }
    }

    #[test]
    fn unknown_names_keep_their_bytes() {
        assert_eq!(
            HeaderName::from_bytes(b"C%6Fntact"),
            HeaderName::Other(b"c%6fntact")
        );
        assert_eq!(HeaderName::from_bytes(b"q"), HeaderName::Other(b"q"));
        assert_eq!(HeaderName::from_bytes(b"\xff"), HeaderName::Other(b"\xff"));
        assert_eq!(
            HeaderName::from_bytes(b"Call\rID"),
            HeaderName::Other(b"Call\rID")
        );
        assert_eq!(HeaderName::Other(b"vIa").id(), HeaderName::Via.id());
        assert_ne!(HeaderName::Via, HeaderName::From);
    }
}
