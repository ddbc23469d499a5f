//! Platform → application: a platform request for a registered thing becomes an HTTP(S)
//! request to `{proto}://{host}:{port}{path}/Things/{thing}/…` (ems.md §6), and the answer
//! becomes the AlwaysOn response.
//!
//! | application answers | platform gets |
//! |---|---|
//! | 2xx with InfoTable JSON | SUCCESS with that table |
//! | 2xx with another JSON object (`{"Temp": 21.5}`) | SUCCESS with it as a one-row table |
//! | 2xx with an empty body | SUCCESS without content |
//! | 2xx with anything else | BAD_GATEWAY, reason says why |
//! | 404 | NOT_FOUND with an `error` STRING table holding the answer's text |
//! | 400, 401, 403, 405, 500, 503, 504 | the matching status ([`alwayson_rest::status`]), `error` table and reason |
//! | other status | BAD_GATEWAY, `error` table and reason |
//! | nothing within the registration's timeout | GATEWAY_TIMEOUT with a reason |
//! | connection refused, TLS failure, closed early | SERVICE_UNAVAILABLE with a reason |
//!
//! A thing registered without a host answers NOT_FOUND at once, with a reason.

use crate::registry::{Application, EdgeThing};
use alwayson_proto::thing::Action;
use alwayson_proto::{InfoTable, Request, Response, StatusCode, Value};
use alwayson_rest::json;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value as Json;

/// Largest answer body read from an application.
pub const MAX_ANSWER_BYTES: usize = 4 << 20;

/// Most requests forwarded to applications at once; more wait (within their timeout).
pub const MAX_IN_FLIGHT: usize = 128;

/// Characters escaped in a path segment (everything but unreserved characters).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Forwards platform requests to applications.
#[derive(Clone)]
pub struct Callbacks {
    tls: tokio_rustls::TlsConnector,
    in_flight: std::sync::Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callbacks").finish_non_exhaustive()
    }
}

/// An error answer: the status, the reason, and an `error` STRING table with the text.
fn failure(status: StatusCode, text: impl Into<String>) -> Response {
    let text = text.into();
    Response {
        status,
        reason: Some(text.as_str().into()),
        content: Some(InfoTable::single("error", Value::from(text.as_str()))),
    }
}

/// One HTTP request to an application.
struct Call {
    method: http::Method,
    path: String,
    body: Option<String>,
    /// Names the answer's single value when it is a bare JSON value.
    field: String,
}

/// A table as the EMS sends it to applications: rows first, then the lower-case `datashape`.
fn ems_table_json(table: &InfoTable) -> String {
    let mut j = json::infotable_to_json(table);
    if let Json::Object(m) = &mut j {
        let shape = m.remove("dataShape").unwrap_or(Json::Null);
        m.insert("datashape".into(), shape);
    }
    j.to_string()
}

fn segment(s: &[u8]) -> String {
    utf8_percent_encode(&String::from_utf8_lossy(s), SEGMENT).to_string()
}

impl Callbacks {
    /// Callbacks whose HTTPS connections accept the applications' (typically
    /// self-signed) certificates.
    pub fn new() -> Result<Self, alwayson_tokio::Error> {
        let config = alwayson_async::accept_any_cert_client_config()?;
        Ok(Self::with_tls(config))
    }

    /// Callbacks whose HTTPS connections verify the applications' certificates (and host
    /// names) against these PEM CA certificates only.
    pub fn verifying(ca_pems: &[Vec<u8>]) -> Result<Self, String> {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for pem in ca_pems {
            let certs = rustls::pki_types::CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("bad CA certificate PEM: {e}"))?;
            if certs.is_empty() {
                return Err("no certificate in a CA certificate file".into());
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| format!("bad CA certificate: {e}"))?;
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self::with_tls(std::sync::Arc::new(config)))
    }

    fn with_tls(config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        Callbacks {
            tls: tokio_rustls::TlsConnector::from(config),
            in_flight: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
        }
    }

    /// Answers a platform request for `thing` through its application.
    pub async fn forward(&self, thing: &EdgeThing, request: Request) -> Response {
        let Some(app) = &thing.app else {
            return failure(
                StatusCode::NOT_FOUND,
                format!(
                    "thing {:?} is registered without a host: no application answers its requests",
                    thing.name
                ),
            );
        };
        if thing.app_down {
            return failure(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the application of {:?} failed its health check",
                    thing.name
                ),
            );
        }
        let call = match Action::from_request(request) {
            Err(response) => return response,
            Ok(action) => match Self::call(app, action) {
                Ok(call) => call,
                Err(response) => return response,
            },
        };
        let what = format!("{} {}", call.method, call.path);
        let exchange = async {
            let _permit = self.in_flight.acquire().await;
            self.send(app, &call).await
        };
        match tokio::time::timeout(thing.timeout, exchange).await {
            Err(_) => {
                tracing::warn!(thing = %thing.name, %what, timeout = ?thing.timeout, "application did not answer in time");
                failure(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!(
                        "the application did not answer {what} within {} ms",
                        thing.timeout.as_millis()
                    ),
                )
            }
            Ok(Err(e)) => {
                tracing::warn!(thing = %thing.name, %what, error = %e, "application unreachable");
                failure(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("application at {}:{} unreachable: {e}", app.host, app.port),
                )
            }
            Ok(Ok((status, body))) => {
                let r = answer(status, &body, &call.field);
                if r.status != StatusCode::SUCCESS {
                    tracing::debug!(thing = %thing.name, %what, http = %status, status = %r.status, "application refused");
                }
                r
            }
        }
    }

    /// The HTTP request for a platform request.
    fn call(app: &Application, action: Action) -> Result<Call, Response> {
        let base = |thing: &[u8], kind: &str, name: &[u8]| {
            format!(
                "{}/Things/{}/{kind}/{}",
                app.path,
                segment(thing),
                segment(name)
            )
        };
        Ok(match action {
            Action::ReadProperty { thing, property } => Call {
                method: http::Method::GET,
                path: base(thing.as_bytes(), "Properties", property.as_bytes()),
                body: None,
                field: property.to_str_lossy().into_owned(),
            },
            Action::WriteProperty {
                thing,
                property,
                value,
            } => Call {
                method: http::Method::PUT,
                path: base(thing.as_bytes(), "Properties", property.as_bytes()),
                body: Some(ems_table_json(&InfoTable::single(property.clone(), value))),
                field: property.to_str_lossy().into_owned(),
            },
            Action::InvokeService {
                thing,
                service,
                params,
            } => Call {
                method: http::Method::POST,
                path: base(thing.as_bytes(), "Services", service.as_bytes()),
                body: params
                    .filter(|p| !p.data_shape.fields.is_empty())
                    .map(|p| ems_table_json(&p)),
                field: "result".into(),
            },
            _ => {
                return Err(failure(
                    StatusCode::NOT_FOUND,
                    "only property reads and writes and service calls go to applications",
                ))
            }
        })
    }

    async fn send(
        &self,
        app: &Application,
        call: &Call,
    ) -> Result<(http::StatusCode, Bytes), String> {
        let tcp = tokio::net::TcpStream::connect((app.host.as_str(), app.port))
            .await
            .map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        let request = build_request(app, call)?;
        match app.protocol {
            crate::config::Protocol::Http => exchange(TokioIo::new(tcp), request).await,
            crate::config::Protocol::Https => {
                let name = rustls::pki_types::ServerName::try_from(app.host.clone())
                    .map_err(|e| format!("host is not a TLS server name: {e}"))?;
                let tls = self
                    .tls
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?;
                exchange(TokioIo::new(tls), request).await
            }
        }
    }
}

fn build_request(app: &Application, call: &Call) -> Result<http::Request<Full<Bytes>>, String> {
    let host = if app.host.contains(':') {
        format!("[{}]:{}", app.host, app.port)
    } else {
        format!("{}:{}", app.host, app.port)
    };
    let mut b = http::Request::builder()
        .method(call.method.clone())
        .uri(&call.path)
        .header(http::header::HOST, host)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::CONNECTION, "close");
    if let Some(user) = &app.user {
        let pair = format!("{user}:{}", app.password.as_deref().unwrap_or(""));
        let token = base64::engine::general_purpose::STANDARD.encode(pair);
        b = b.header(http::header::AUTHORIZATION, format!("Basic {token}"));
    }
    let body = call.body.clone().unwrap_or_default();
    b.body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("bad request: {e}"))
}

async fn exchange<I>(
    io: I,
    request: http::Request<Full<Bytes>>,
) -> Result<(http::StatusCode, Bytes), String>
where
    I: hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?
        .to_bytes();
    Ok((status, body))
}

/// The AlwaysOn response for an application's HTTP answer.
fn answer(status: http::StatusCode, body: &[u8], field: &str) -> Response {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if !status.is_success() {
        let mapped = alwayson_rest::status::from_http(status);
        let text = if text.is_empty() {
            format!("the application answered {status}")
        } else {
            text.chars().take(1024).collect()
        };
        return failure(mapped, text);
    }
    if text.is_empty() {
        return Response::success();
    }
    let doc: Json = match serde_json::from_str(text) {
        Ok(doc) => doc,
        Err(e) => {
            return failure(
                StatusCode::BAD_GATEWAY,
                format!("the application's answer is not JSON: {e}"),
            )
        }
    };
    let table = match &doc {
        Json::Object(m) if json::is_infotable_json(m) => json::infotable_from_json(&doc),
        Json::Object(_) => json::params_from_json(&doc),
        other => json::value_from_json(other).map(|v| InfoTable::single(field, v)),
    };
    match table {
        Ok(t) => Response::with_content(t),
        Err(e) => failure(
            StatusCode::BAD_GATEWAY,
            format!("the application's answer is not a valid InfoTable: {e}"),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_responses() {
        let ok = answer(
            http::StatusCode::OK,
            br#"{"rows":[{"result":5}],"dataShape":{"fieldDefinitions":{"result":{"name":"result","baseType":"NUMBER"}}}}"#,
            "result",
        );
        assert_eq!(ok.content.unwrap().row(0).unwrap()[0], Value::Number(5.0));
        assert_eq!(answer(http::StatusCode::OK, b"", "x"), Response::success());
        let nf = answer(
            http::StatusCode::NOT_FOUND,
            b"Service 'Nope' not found",
            "x",
        );
        assert_eq!(nf.status, StatusCode::NOT_FOUND);
        assert_eq!(
            nf.content.unwrap().row(0).unwrap()[0],
            Value::from("Service 'Nope' not found")
        );
        assert_eq!(
            answer(http::StatusCode::OK, b"<html>", "x").status,
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            answer(http::StatusCode::IM_A_TEAPOT, b"", "x").status,
            StatusCode::BAD_GATEWAY
        );
        let bare = answer(http::StatusCode::OK, b"7", "Temp").content.unwrap();
        assert_eq!(bare.data_shape.fields[0].name, "Temp");
    }

    #[test]
    fn writes_carry_the_lower_case_datashape() {
        let t = InfoTable::single("Label", Value::from("x"));
        let j: Json = serde_json::from_str(&ems_table_json(&t)).unwrap();
        assert_eq!(j["rows"][0]["Label"], "x");
        assert!(j.get("datashape").is_some() && j.get("dataShape").is_none());
    }
}
