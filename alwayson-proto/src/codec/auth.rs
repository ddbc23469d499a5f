//! The AUTH body (code 0x14, wire-format.md §6): a `u8` claim count, then name/value
//! string pairs; owned [`Auth`], borrowed [`AuthRef`], length, writer and reader.

use super::cursor::{Cursor, Fail, GrammarError};
use super::error::add_len;
use super::wire_string::{put_str, read_str, str_len};
use super::{EncodeError, WireString};
use bytes::BufMut;

/// One AUTH claim: a name/value pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Claim name, e.g. `appKey`.
    pub name: WireString,
    /// Claim value.
    pub value: WireString,
}

/// The AUTH body (code 0x14): a `u8` count, then the claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Auth {
    /// Claims in wire order (the reference SDK always sends exactly one, `appKey`).
    pub claims: Vec<Claim>,
}

impl Auth {
    /// Claim name the reference SDK uses for application keys.
    pub const APP_KEY_CLAIM: &'static str = "appKey";
    /// Default claim name this crate uses for a user name (the C SDK has no user/password
    /// path; open question 2 of the spec: configurable in the sessions).
    pub const USER_CLAIM: &'static str = "user";
    /// Default claim name this crate uses for a password.
    pub const PASSWORD_CLAIM: &'static str = "password";

    /// AUTH with the single `appKey` claim, exactly as the reference SDK sends it.
    pub fn app_key(key: impl Into<WireString>) -> Self {
        Self {
            claims: vec![Claim {
                name: WireString::from_static(Self::APP_KEY_CLAIM),
                value: key.into(),
            }],
        }
    }

    /// AUTH with `user` and `password` claims.
    pub fn user_password(user: impl Into<WireString>, password: impl Into<WireString>) -> Self {
        Self {
            claims: vec![
                Claim {
                    name: WireString::from_static(Self::USER_CLAIM),
                    value: user.into(),
                },
                Claim {
                    name: WireString::from_static(Self::PASSWORD_CLAIM),
                    value: password.into(),
                },
            ],
        }
    }

    /// The value of the first claim with this name.
    pub fn claim(&self, name: &str) -> Option<&WireString> {
        self.claims
            .iter()
            .find(|c| c.name == *name)
            .map(|c| &c.value)
    }

    /// The `appKey` claim, if present.
    pub fn app_key_value(&self) -> Option<&WireString> {
        self.claim(Self::APP_KEY_CLAIM)
    }
}

/// The AUTH body, borrowed: [`AuthRef::claims`] iterates over (name, value).
#[derive(Debug, Clone, Copy)]
pub struct AuthRef<'a> {
    count: u8,
    claims: &'a [u8],
}

impl<'a> AuthRef<'a> {
    /// Number of claims.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// Whether there are no claims.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The claims: (name, value), in wire order.
    pub fn claims(&self) -> Pairs<'a> {
        Pairs::new(
            self.claims,
            usize::from(self.count),
            "claim name",
            "claim value",
        )
    }

    /// The value of the first claim with this name.
    pub fn claim(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.claims().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The owned [`Auth`], strings built by `string`.
    #[inline(always)]
    pub(crate) fn owned_with(&self, string: impl Fn(&'a [u8]) -> WireString) -> Auth {
        let mut claims = Vec::with_capacity(usize::from(self.count));
        for (name, value) in self.claims() {
            claims.push(Claim {
                name: string(name),
                value: string(value),
            });
        }
        Auth { claims }
    }

    /// The owned [`Auth`] (strings copied).
    pub fn to_owned(&self) -> Auth {
        self.owned_with(WireString::copy_from_slice)
    }
}

/// Iterator over validated (name, value) string pairs: AUTH claims, request headers.
#[derive(Debug, Clone)]
pub struct Pairs<'a> {
    c: Cursor<'a>,
    left: usize,
    name: &'static str,
    value: &'static str,
}

impl<'a> Pairs<'a> {
    pub(crate) fn new(
        bytes: &'a [u8],
        count: usize,
        name: &'static str,
        value: &'static str,
    ) -> Self {
        Self {
            c: Cursor::new(bytes),
            left: count,
            name,
            value,
        }
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let name = read_str::<Fail>(&mut self.c, self.name).ok()?;
        let value = read_str::<Fail>(&mut self.c, self.value).ok()?;
        Some((name, value))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Pairs<'_> {}

/// Reads `count` (name, value) pairs, returning their bytes.
#[inline]
pub(crate) fn read_pairs<'a, E: GrammarError>(
    c: &mut Cursor<'a>,
    count: usize,
    name: &'static str,
    value: &'static str,
) -> Result<&'a [u8], E> {
    let start = c.pos();
    for _ in 0..count {
        read_str::<E>(c, name)?;
        read_str::<E>(c, value)?;
    }
    Ok(c.since(start))
}

/// Reads the AUTH body.
#[inline]
pub(crate) fn read<'a, E: GrammarError>(c: &mut Cursor<'a>) -> Result<AuthRef<'a>, E> {
    let count = c.u8::<E>("claim count")?;
    let claims = read_pairs(c, usize::from(count), "claim name", "claim value")?;
    Ok(AuthRef { count, claims })
}

/// Length of the AUTH body, performing every check.
pub(crate) fn len(a: &Auth) -> Result<usize, EncodeError> {
    if a.claims.len() > 0xFF {
        return Err(EncodeError::TooMany {
            what: "AUTH claims",
            count: a.claims.len(),
            max: 0xFF,
        });
    }
    let mut len = 1usize;
    for c in &a.claims {
        len = add_len(len, str_len(&c.name, "claim name")?)?;
        len = add_len(len, str_len(&c.value, "claim value")?)?;
    }
    Ok(len)
}

/// Writes the AUTH body checked by [`len`].
pub(crate) fn put<B: BufMut>(buf: &mut B, a: &Auth) {
    buf.put_u8(a.claims.len() as u8);
    for c in &a.claims {
        put_str(buf, &c.name);
        put_str(buf, &c.value);
    }
}
