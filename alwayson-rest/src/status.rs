//! AlwaysOn status codes ⇄ HTTP status codes, where a gateway passes answers through (the
//! EMS-style gateway: an application's HTTP answer becomes an AlwaysOn status, and the
//! platform's AlwaysOn status becomes the HTTP answer to the application).
//!
//! | AlwaysOn | HTTP |
//! |---|---|
//! | SUCCESS | 200 |
//! | BAD_REQUEST | 400 |
//! | UNAUTHORIZED | 401 |
//! | FORBIDDEN | 403 |
//! | NOT_FOUND | 404 |
//! | METHOD_NOT_ALLOWED | 405 |
//! | INTERNAL_SERVER_ERROR | 500 |
//! | SERVICE_UNAVAILABLE | 503 |
//! | GATEWAY_TIMEOUT | 504 |
//! | any other failure | 502 (BAD_GATEWAY both ways) |

use alwayson_proto::StatusCode;
use http::StatusCode as Http;

const TABLE: &[(StatusCode, Http)] = &[
    (StatusCode::SUCCESS, Http::OK),
    (StatusCode::BAD_REQUEST, Http::BAD_REQUEST),
    (StatusCode::UNAUTHORIZED, Http::UNAUTHORIZED),
    (StatusCode::FORBIDDEN, Http::FORBIDDEN),
    (StatusCode::NOT_FOUND, Http::NOT_FOUND),
    (StatusCode::METHOD_NOT_ALLOWED, Http::METHOD_NOT_ALLOWED),
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Http::INTERNAL_SERVER_ERROR,
    ),
    (StatusCode::SERVICE_UNAVAILABLE, Http::SERVICE_UNAVAILABLE),
    (StatusCode::GATEWAY_TIMEOUT, Http::GATEWAY_TIMEOUT),
];

/// The HTTP status for an AlwaysOn status (502 for one without a counterpart).
pub fn to_http(status: StatusCode) -> Http {
    TABLE
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(Http::BAD_GATEWAY, |(_, h)| *h)
}

/// The AlwaysOn status for an HTTP status: any 2xx is SUCCESS, one without a counterpart
/// BAD_GATEWAY.
pub fn from_http(status: Http) -> StatusCode {
    if status.is_success() {
        return StatusCode::SUCCESS;
    }
    TABLE
        .iter()
        .find(|(_, h)| *h == status)
        .map_or(StatusCode::BAD_GATEWAY, |(s, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways() {
        for (s, h) in TABLE {
            assert_eq!(to_http(*s), *h);
            assert_eq!(from_http(*h), *s);
        }
        assert_eq!(to_http(StatusCode::NOT_ACCEPTABLE), Http::BAD_GATEWAY);
        assert_eq!(from_http(Http::IM_A_TEAPOT), StatusCode::BAD_GATEWAY);
        assert_eq!(from_http(Http::NO_CONTENT), StatusCode::SUCCESS);
    }
}
