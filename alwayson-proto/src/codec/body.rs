//! Message bodies: AUTH, BIND/UNBIND, request and response (wire-format.md §6–7).

use super::{Characteristic, EntityType, InfoTable, Method, StatusCode, WireString};

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

/// A request header name/value pair. The SDK never sends any and discards received ones;
/// this crate parses and keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    /// Header name.
    pub name: WireString,
    /// Header value.
    pub value: WireString,
}

/// A request body (codes 0x01–0x04).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// GET, PUT, POST or DELETE (the header's code byte).
    pub method: Method,
    /// Entity type, usually THING.
    pub entity_type: EntityType,
    /// Entity name (the thing's name).
    pub entity_name: WireString,
    /// PROPERTIES, SERVICES or EVENTS.
    pub characteristic: Characteristic,
    /// Property, service or event name.
    pub characteristic_name: WireString,
    /// Request headers (`u8` count).
    pub headers: Vec<RequestHeader>,
    /// Parameters (`05` + InfoTable), or `None` (`FF`). On decode, any params type byte other
    /// than `05` means "no parameters" and the bytes after it are reported as trailing, as
    /// the reference SDK does.
    pub params: Option<InfoTable>,
}

impl Request {
    /// A request on a thing with no headers.
    pub fn new(
        method: Method,
        thing: impl Into<WireString>,
        characteristic: Characteristic,
        name: impl Into<WireString>,
        params: Option<InfoTable>,
    ) -> Self {
        Self {
            method,
            entity_type: EntityType::Thing,
            entity_name: thing.into(),
            characteristic,
            characteristic_name: name.into(),
            headers: Vec::new(),
            params,
        }
    }
}

/// A response body (codes ≥ 0x40).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Status code (header byte 1).
    pub status: StatusCode,
    /// Reason text (marker `01` + string), or `None` (marker `00`). A decoder accepts any
    /// non-zero marker.
    pub reason: Option<WireString>,
    /// Content (`05` + InfoTable) or `None` (`FF`; any other byte is read as none).
    pub content: Option<InfoTable>,
}

impl Response {
    /// SUCCESS with no content: body `00 FF`.
    pub fn success() -> Self {
        Self {
            status: StatusCode::SUCCESS,
            reason: None,
            content: None,
        }
    }

    /// SUCCESS with content.
    pub fn with_content(content: InfoTable) -> Self {
        Self {
            status: StatusCode::SUCCESS,
            reason: None,
            content: Some(content),
        }
    }

    /// A failure with a reason.
    pub fn error(status: StatusCode, reason: impl Into<WireString>) -> Self {
        Self {
            status,
            reason: Some(reason.into()),
            content: None,
        }
    }
}
