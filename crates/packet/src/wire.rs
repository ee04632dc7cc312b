//! Checked reads of fixed-size fields. Every read returns `None` past the
//! end of the slice; nothing here can panic.

#[inline]
pub(crate) fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

#[inline]
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    array::<4>(b, at).map(u32::from_be_bytes)
}

#[inline]
pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
    array::<4>(b, at).map(u32::from_le_bytes)
}

#[inline]
pub(crate) fn array<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}
