//! [`AuthPolicy`]: how a platform decides an edge's AUTH.

use crate::codec::{Auth, WireString};
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

/// A credential check supplied by the application (no IO: it answers at once).
pub type AuthCheck = Arc<dyn Fn(&Auth) -> bool + Send + Sync>;

/// How a [`PlatformSession`](super::PlatformSession) decides an AUTH.
///
/// Every variant but [`AuthPolicy::Application`] is applied by the session itself the moment
/// AUTH arrives (no [`PlatformEvent::AuthRequested`](super::PlatformEvent::AuthRequested)):
/// accepted, it answers `0x40` and emits `Authenticated`; refused, it emits
/// [`PlatformEvent::AuthRejected`](super::PlatformEvent::AuthRejected), answers `0x81` and
/// closes (1008); `Closed { reason: AuthRejected }` follows.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum AuthPolicy {
    /// Accept an AUTH whose `appKey` claim is one of these keys (compared as bytes).
    AppKeys(HashSet<WireString>),
    /// Accept an AUTH for which the closure returns `true`.
    Check(AuthCheck),
    /// Accept every AUTH (test platforms).
    AcceptAll,
    /// Let the application decide: the session emits `AuthRequested` and waits for
    /// `accept_auth` / `reject_auth` (the auth deadline keeps running). Default.
    #[default]
    Application,
}

impl AuthPolicy {
    /// Accepts these application keys.
    pub fn app_keys<I, K>(keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<WireString>,
    {
        AuthPolicy::AppKeys(keys.into_iter().map(Into::into).collect())
    }

    /// Accepts what `check` accepts.
    pub fn check(check: impl Fn(&Auth) -> bool + Send + Sync + 'static) -> Self {
        AuthPolicy::Check(Arc::new(check))
    }

    /// The decision for `auth`: `Some(accepted)`, or `None` when the application decides.
    pub fn decide(&self, auth: &Auth) -> Option<bool> {
        match self {
            AuthPolicy::AppKeys(keys) => {
                Some(auth.app_key_value().is_some_and(|k| keys.contains(k)))
            }
            AuthPolicy::Check(check) => Some(check(auth)),
            AuthPolicy::AcceptAll => Some(true),
            AuthPolicy::Application => None,
        }
    }
}

impl fmt::Debug for AuthPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Never print the keys.
            AuthPolicy::AppKeys(keys) => write!(f, "AppKeys({} keys)", keys.len()),
            AuthPolicy::Check(_) => f.write_str("Check(..)"),
            AuthPolicy::AcceptAll => f.write_str("AcceptAll"),
            AuthPolicy::Application => f.write_str("Application"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_policy_decides_as_documented() {
        let good = Auth::app_key("k1");
        let bad = Auth::app_key("k2");
        let user = Auth::user_password("u", "p");
        let keys = AuthPolicy::app_keys(["k1"]);
        assert_eq!(keys.decide(&good), Some(true));
        assert_eq!(keys.decide(&bad), Some(false));
        assert_eq!(keys.decide(&user), Some(false));
        let check = AuthPolicy::check(|a| a.claims.len() == 2);
        assert_eq!(check.decide(&user), Some(true));
        assert_eq!(check.decide(&good), Some(false));
        assert_eq!(AuthPolicy::AcceptAll.decide(&bad), Some(true));
        assert_eq!(AuthPolicy::Application.decide(&good), None);
        assert_eq!(format!("{keys:?}"), "AppKeys(1 keys)");
    }

    #[test]
    fn non_utf8_keys_compare_as_bytes() {
        let key = WireString::from_bytes(vec![0xff, 0x01]);
        let policy = AuthPolicy::app_keys([key.clone()]);
        assert_eq!(policy.decide(&Auth::app_key(key)), Some(true));
    }
}
