//! Request methods (RFC 3261 §7.1, §27.4 registry).

/// A SIP request method. Methods are case-sensitive (RFC 3261 §7.1): `invite`
/// is an extension method, not `INVITE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    /// RFC 3261 §13.
    Invite,
    /// RFC 3261 §17.1.1.3.
    Ack,
    /// RFC 3261 §15.
    Bye,
    /// RFC 3261 §9.
    Cancel,
    /// RFC 3261 §10.
    Register,
    /// RFC 3261 §11.
    Options,
    /// RFC 6086.
    Info,
    /// RFC 3262.
    Prack,
    /// RFC 3311.
    Update,
    /// RFC 6665.
    Subscribe,
    /// RFC 6665.
    Notify,
    /// RFC 3515.
    Refer,
    /// RFC 3428.
    Message,
    /// RFC 3903.
    Publish,
    /// Any other `token` (RFC 3261 §25.1 `extension-method`), bytes as received.
    Other(&'a [u8]),
}

/// The known methods with their wire spelling, in one place.
const KNOWN: [(Method<'static>, &[u8]); 14] = [
    (Method::Invite, b"INVITE"),
    (Method::Ack, b"ACK"),
    (Method::Bye, b"BYE"),
    (Method::Cancel, b"CANCEL"),
    (Method::Register, b"REGISTER"),
    (Method::Options, b"OPTIONS"),
    (Method::Info, b"INFO"),
    (Method::Prack, b"PRACK"),
    (Method::Update, b"UPDATE"),
    (Method::Subscribe, b"SUBSCRIBE"),
    (Method::Notify, b"NOTIFY"),
    (Method::Refer, b"REFER"),
    (Method::Message, b"MESSAGE"),
    (Method::Publish, b"PUBLISH"),
];

impl<'a> Method<'a> {
    /// Classifies method bytes, case-sensitively (RFC 3261 §7.1). Does not
    /// validate that `bytes` is a `token`; the start-line parser does that.
    #[must_use]
    pub fn from_bytes(bytes: &'a [u8]) -> Self {
        KNOWN
            .iter()
            .find(|(_, name)| *name == bytes)
            .map_or(Method::Other(bytes), |(m, _)| *m)
    }

    /// The method as it appears on the wire.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        match self {
            Method::Other(b) => b,
            known => KNOWN
                .iter()
                .find(|(m, _)| m == known)
                .map_or(&b""[..], |(_, name)| *name),
        }
    }

    /// True for the methods of the closed vocabulary (not [`Method::Other`]).
    #[must_use]
    pub fn is_known(&self) -> bool {
        !matches!(self, Method::Other(_))
    }
}

impl std::fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_known_method() {
        for (m, name) in KNOWN {
            assert_eq!(Method::from_bytes(name), m);
            assert_eq!(m.as_bytes(), name);
        }
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(Method::from_bytes(b"invite"), Method::Other(b"invite"));
        assert_eq!(
            Method::from_bytes(b"RE%47IST%45R").as_bytes(),
            b"RE%47IST%45R"
        );
        assert!(!Method::from_bytes(b"NEWMETHOD").is_known());
    }
}
