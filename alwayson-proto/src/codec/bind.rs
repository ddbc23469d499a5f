//! The BIND / UNBIND body (codes 0x0A / 0x0B, wire-format.md §7): gateway flag (and name,
//! type), `u16` name count, names; owned [`Bind`], borrowed [`BindRef`], length, writer and
//! reader.

use super::cursor::{Cursor, Fail, GrammarError};
use super::error::add_len;
use super::wire_string::{put_str, read_str, str_len};
use super::{EncodeError, WireString};
use bytes::BufMut;

/// Gateway identification carried by BIND/UNBIND when both name and type are configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// Gateway name.
    pub name: WireString,
    /// Gateway type.
    pub gateway_type: WireString,
}

/// The BIND / UNBIND body (codes 0x0A / 0x0B, identical layout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bind {
    /// Optional gateway info (flag byte, name, type).
    pub gateway: Option<Gateway>,
    /// Thing names (`u16` count on the wire).
    pub names: Vec<WireString>,
}

/// The BIND / UNBIND body, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct BindRef<'a> {
    gateway: Option<(&'a [u8], &'a [u8])>,
    count: u16,
    names: &'a [u8],
}

impl<'a> BindRef<'a> {
    /// Gateway (name, type), when the flag is set.
    pub fn gateway(&self) -> Option<(&'a [u8], &'a [u8])> {
        self.gateway
    }

    /// Number of thing names.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// Whether there are no names.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The thing names, in wire order.
    pub fn names(&self) -> Names<'a> {
        Names {
            c: Cursor::new(self.names),
            left: self.count,
        }
    }

    /// The owned [`Bind`], strings built by `string`.
    pub(crate) fn owned_with(&self, string: impl Fn(&'a [u8]) -> WireString) -> Bind {
        Bind {
            gateway: self.gateway.map(|(name, gateway_type)| Gateway {
                name: string(name),
                gateway_type: string(gateway_type),
            }),
            names: self.names().map(string).collect(),
        }
    }

    /// The owned [`Bind`] (strings copied).
    pub fn to_owned(&self) -> Bind {
        self.owned_with(WireString::copy_from_slice)
    }
}

/// Iterator over the names of a [`BindRef`].
#[derive(Debug, Clone)]
pub struct Names<'a> {
    c: Cursor<'a>,
    left: u16,
}

impl<'a> Iterator for Names<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        self.left = self.left.checked_sub(1)?;
        read_str::<Fail>(&mut self.c, "bind name").ok()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.left);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Names<'_> {}

/// Reads the BIND / UNBIND body.
#[inline]
pub(crate) fn read<'a, E: GrammarError>(c: &mut Cursor<'a>) -> Result<BindRef<'a>, E> {
    let gateway = if c.u8::<E>("gateway flag")? != 0 {
        let name = read_str(c, "gateway name")?;
        let gateway_type = read_str(c, "gateway type")?;
        Some((name, gateway_type))
    } else {
        None
    };
    let count = c.u16::<E>("bind name count")?;
    let start = c.pos();
    for _ in 0..count {
        read_str::<E>(c, "bind name")?;
    }
    Ok(BindRef {
        gateway,
        count,
        names: c.since(start),
    })
}

/// Length of the body, performing every check.
pub(crate) fn len(b: &Bind) -> Result<usize, EncodeError> {
    if b.names.len() > 0xFFFF {
        return Err(EncodeError::TooMany {
            what: "bind names",
            count: b.names.len(),
            max: 0xFFFF,
        });
    }
    let mut len = 3usize; // flag + count
    if let Some(g) = &b.gateway {
        len = add_len(len, str_len(&g.name, "gateway name")?)?;
        len = add_len(len, str_len(&g.gateway_type, "gateway type")?)?;
    }
    for n in &b.names {
        len = add_len(len, str_len(n, "bind name")?)?;
    }
    Ok(len)
}

/// Writes the body checked by [`len`].
pub(crate) fn put<B: BufMut>(buf: &mut B, b: &Bind) {
    match &b.gateway {
        Some(g) => {
            buf.put_u8(0x01);
            put_str(buf, &g.name);
            put_str(buf, &g.gateway_type);
        }
        None => buf.put_u8(0x00),
    }
    buf.put_u16(b.names.len() as u16);
    for n in &b.names {
        put_str(buf, n);
    }
}
