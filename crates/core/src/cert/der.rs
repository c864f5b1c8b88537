//! A minimal, panic-free DER reader for private-key structures (PKCS#1, PKCS#8, SEC1).
//!
//! Certificates are parsed with `x509-parser`; private keys only need a handful of
//! TLVs, and reading them here keeps the key bytes out of third-party error messages.

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
/// `[0]` constructed, context-specific.
pub(crate) const TAG_CTX0: u8 = 0xa0;
/// `[1]` constructed, context-specific.
pub(crate) const TAG_CTX1: u8 = 0xa1;
/// `[1]` primitive, context-specific (OneAsymmetricKey `publicKey`).
pub(crate) const TAG_CTX1_PRIMITIVE: u8 = 0x81;

/// Reads consecutive TLVs from a byte slice.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

/// A parse failure; the text never contains input bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DerError(pub &'static str);

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Reader<'a> {
        Reader { rest: input }
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one TLV and returns its tag and content.
    pub(crate) fn any(&mut self) -> Result<(u8, &'a [u8]), DerError> {
        let (&tag, after_tag) = self.rest.split_first().ok_or(DerError("data ends early"))?;
        if tag & 0x1f == 0x1f {
            return Err(DerError("multi-byte tags are not used in keys"));
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or(DerError("data ends early"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err(DerError("indefinite lengths are not allowed in DER"));
            }
            if n > 4 {
                return Err(DerError("length field too long"));
            }
            let bytes = after_len.get(..n).ok_or(DerError("data ends early"))?;
            after_len = after_len.get(n..).ok_or(DerError("data ends early"))?;
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        let content = after_len.get(..len).ok_or(DerError("data ends early"))?;
        self.rest = after_len.get(len..).ok_or(DerError("data ends early"))?;
        Ok((tag, content))
    }

    /// Reads one TLV that must have tag `tag`.
    pub(crate) fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], DerError> {
        match self.any()? {
            (t, content) if t == tag => Ok(content),
            _ => Err(DerError(what)),
        }
    }

    /// Reads a TLV with tag `tag` if the next one has it.
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.any().map(|(_, c)| Some(c))
        } else {
            Ok(None)
        }
    }
}

/// Strips the leading zero bytes of an unsigned big-endian integer.
pub(crate) fn unsigned(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

/// The bytes of a BIT STRING's content without the unused-bits octet (which must be 0
/// for keys).
pub(crate) fn bit_string_bytes(content: &[u8]) -> Result<&[u8], DerError> {
    match content.split_first() {
        Some((0, bits)) => Ok(bits),
        Some(_) => Err(DerError("bit string with unused bits")),
        None => Err(DerError("empty bit string")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut data = vec![0x04, 0x81, 0x80];
        data.extend(std::iter::repeat_n(7u8, 0x80));
        data.extend([0x02, 0x01, 0x05]);
        let mut r = Reader::new(&data);
        assert_eq!(r.expect(TAG_OCTET_STRING, "x").unwrap().len(), 0x80);
        assert_eq!(r.expect(TAG_INTEGER, "x").unwrap(), &[5]);
        assert!(r.any().is_err());
    }

    #[test]
    fn never_panics_on_truncation() {
        for data in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 0x01],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x80],
            &[0x1f, 0x01, 0x00],
        ] {
            assert!(Reader::new(data).any().is_err());
        }
        assert_eq!(unsigned(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(unsigned(&[0, 0]), &[] as &[u8]);
        assert!(bit_string_bytes(&[]).is_err());
        assert!(bit_string_bytes(&[3, 1]).is_err());
    }
}
