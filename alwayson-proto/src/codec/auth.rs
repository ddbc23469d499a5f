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
    pub claims: Claims,
}

/// AUTH claims in wire order: a slice of [`Claim`] (through `Deref`) that stores a single
/// claim, the common case, without a heap allocation.
#[derive(Clone)]
pub struct Claims(ClaimsRepr);

#[derive(Clone)]
enum ClaimsRepr {
    One(Claim),
    Many(Vec<Claim>),
}

impl Claims {
    /// No claims.
    pub const fn new() -> Self {
        Self(ClaimsRepr::Many(Vec::new()))
    }

    /// Exactly one claim, stored inline.
    pub const fn one(claim: Claim) -> Self {
        Self(ClaimsRepr::One(claim))
    }

    /// Appends a claim.
    pub fn push(&mut self, claim: Claim) {
        match &mut self.0 {
            ClaimsRepr::Many(v) if v.is_empty() => self.0 = ClaimsRepr::One(claim),
            ClaimsRepr::Many(v) => v.push(claim),
            ClaimsRepr::One(_) => {
                let ClaimsRepr::One(first) =
                    std::mem::replace(&mut self.0, ClaimsRepr::Many(Vec::new()))
                else {
                    unreachable!("matched One above")
                };
                self.0 = ClaimsRepr::Many(vec![first, claim]);
            }
        }
    }

    /// The claims as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[Claim] {
        match &self.0 {
            ClaimsRepr::One(c) => std::slice::from_ref(c),
            ClaimsRepr::Many(v) => v,
        }
    }

    /// The claims as a `Vec` (moved out, or one allocation for a single inline claim).
    pub fn into_vec(self) -> Vec<Claim> {
        match self.0 {
            ClaimsRepr::One(c) => vec![c],
            ClaimsRepr::Many(v) => v,
        }
    }
}

impl Default for Claims {
    fn default() -> Self {
        Self::new()
    }
}

impl std::ops::Deref for Claims {
    type Target = [Claim];
    #[inline]
    fn deref(&self) -> &[Claim] {
        self.as_slice()
    }
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl PartialEq for Claims {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Claims {}

impl From<Vec<Claim>> for Claims {
    fn from(mut v: Vec<Claim>) -> Self {
        if v.len() == 1 {
            if let Some(c) = v.pop() {
                return Self::one(c);
            }
        }
        Self(ClaimsRepr::Many(v))
    }
}

impl From<Claim> for Claims {
    fn from(c: Claim) -> Self {
        Self::one(c)
    }
}

impl FromIterator<Claim> for Claims {
    fn from_iter<I: IntoIterator<Item = Claim>>(iter: I) -> Self {
        let mut it = iter.into_iter();
        let Some(first) = it.next() else {
            return Self::new();
        };
        match it.next() {
            None => Self::one(first),
            Some(second) => {
                let mut v = Vec::with_capacity(2 + it.size_hint().0);
                v.push(first);
                v.push(second);
                v.extend(it);
                Self(ClaimsRepr::Many(v))
            }
        }
    }
}

impl<'a> IntoIterator for &'a Claims {
    type Item = &'a Claim;
    type IntoIter = std::slice::Iter<'a, Claim>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
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
            claims: Claims::one(Claim {
                name: WireString::from_static(Self::APP_KEY_CLAIM),
                value: key.into(),
            }),
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
            ]
            .into(),
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
        let mut pairs = self.claims();
        if self.count == 1 {
            // The common case (one `appKey`): straight into the inline claim.
            if let Some((name, value)) = pairs.next() {
                return Auth {
                    claims: Claims::one(Claim {
                        name: string(name),
                        value: string(value),
                    }),
                };
            }
        }
        let claims = pairs
            .map(|(name, value)| Claim {
                name: string(name),
                value: string(value),
            })
            .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(n: &str) -> Claim {
        Claim {
            name: WireString::copy_from_slice(n.as_bytes()),
            value: WireString::copy_from_slice(b"v"),
        }
    }

    #[test]
    fn claims_keep_order_and_compare_by_content_whatever_the_storage() {
        let mut pushed = Claims::new();
        assert!(pushed.is_empty());
        for n in ["a", "b", "c"] {
            pushed.push(claim(n));
        }
        let names: Vec<_> = pushed.iter().map(|c| c.name.as_bytes().to_vec()).collect();
        assert_eq!(names, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        let collected: Claims = ["a", "b", "c"].into_iter().map(claim).collect();
        assert_eq!(pushed, collected);
        // One claim: inline from every constructor, equal to a one-element Vec's content.
        let one = Claims::one(claim("a"));
        assert_eq!(one, Claims::from(vec![claim("a")]));
        assert_eq!(one, std::iter::once(claim("a")).collect::<Claims>());
        assert!(matches!(
            Claims::from(vec![claim("a")]).0,
            ClaimsRepr::One(_)
        ));
        assert_ne!(one, pushed);
        assert_eq!(pushed.clone().into_vec().len(), 3);
        assert_eq!(one.into_vec(), vec![claim("a")]);
    }

    #[test]
    fn decoded_single_claim_is_stored_inline() {
        let body = [1, 6, b'a', b'p', b'p', b'K', b'e', b'y', 1, b'k'];
        let mut c = Cursor::new(&body);
        let a = read::<Fail>(&mut c).expect("valid AUTH body").to_owned();
        assert!(matches!(a.claims.0, ClaimsRepr::One(_)));
        assert_eq!(a.app_key_value().map(|v| v.as_bytes()), Some(&b"k"[..]));
    }
}
