//! A config.json written for the EMS: every supported key, some unsupported ones; the
//! warnings and the effective settings.
#![allow(clippy::unwrap_used)]

use alwayson_ems::config::{Encryption, Protocol};
use alwayson_ems::Config;
use alwayson_proto::edge::DutyCycle;
use std::path::Path;
use std::time::Duration;

const EMS_CONFIG: &str = r#"{
  "ws_servers": [{"host": "twx.example.com", "port": 443}, {"host": "backup.example.com", "port": "8443"}],
  "resource": "/Thingworx/WS",
  "appKey": "d0a1-key",
  "http_server": {
    "host": "0.0.0.0", "port": 8000, "ssl": true, "certificate": "certs/ems.pem",
    "private_key": "certs/ems.key", "authenticate": true, "user": "admin", "password": "secret",
    "use_default_certificate": false, "max_clients": 15, "content_read_timeout": 20000
  },
  "ws_connection": {
    "encryption": "ssl", "ping_rate": 30000, "pingpong_timeout": 5000, "message_chunk_size": 16384,
    "max_msg_size": 2097152, "msg_timeout": 20000, "connect_timeout": 15000,
    "connect_retry_interval": 5000, "max_connect_delay": 0, "binary_mode": true, "compression": true
  },
  "certificates": {
    "validate": true, "allow_self_signed": false, "cert_chain": ["certs/ca.pem"],
    "client_cert": "certs/client.pem", "key_file": "certs/client.key", "cipher_suite": "HIGH"
  },
  "auto_bind": [
    {"name": "EdgeGateway", "gateway": true},
    {"name": "Pump1", "host": "127.0.0.1", "port": 8001, "path": "/scripts/Thingworx",
     "protocol": "https", "timeout": 15000, "user": "lsr", "password": "pw", "accept": "application/json"}
  ],
  "offline_msg_store": {"enabled": true, "directory": "store", "max_size": 1048576},
  "proxy": {"host": "proxy.local", "port": 3128, "user": "u@x", "password": "p w:/"},
  "logger": {"level": "DEBUG", "audit_target": "audit.log"},
  "alwayson": {"health_check_interval": 2000, "registrations_file": "regs.json"},
  "tunnel": {"enabled": false},
  "duty_cycle": {"connect_period": 60000, "duty_cycle": 25, "delay_duty_cycle": 1000},
  "frobnicate": 1
}"#;

#[test]
fn an_ems_config_gives_its_settings_and_warns_about_the_rest() {
    let (c, warnings) = Config::parse(EMS_CONFIG, "/etc/ems/config.json").unwrap();
    assert_eq!(c.platform_url(), "wss://twx.example.com:443/Thingworx/WS");
    assert_eq!(c.ws_servers.len(), 2);
    assert_eq!(c.ws_servers[1].port, 8443);
    assert_eq!(c.app_key, "d0a1-key");

    let h = &c.http_server;
    assert_eq!((h.host.as_str(), h.port, h.ssl), ("0.0.0.0", 8000, true));
    assert!(!h.is_loopback());
    assert_eq!(
        h.certificate.as_deref(),
        Some(Path::new("/etc/ems/certs/ems.pem"))
    );
    assert_eq!(
        h.private_key.as_deref(),
        Some(Path::new("/etc/ems/certs/ems.key"))
    );
    assert!(h.authenticate);
    assert_eq!((h.user.as_str(), h.password.as_str()), ("admin", "secret"));

    let w = &c.ws_connection;
    assert_eq!(w.encryption, Encryption::Ssl);
    assert_eq!(w.ping_rate, Duration::from_secs(30));
    assert_eq!(w.pingpong_timeout, Duration::from_secs(5));
    assert_eq!(w.message_chunk_size, 16384);
    assert_eq!(w.max_msg_size, 2 << 20);
    assert_eq!(w.msg_timeout, Duration::from_secs(20));
    assert_eq!(w.connect_timeout, Duration::from_secs(15));
    assert_eq!(w.connect_retry_interval, Duration::from_secs(5));

    let cert = &c.certificates;
    assert!(cert.validate && !cert.allow_self_signed);
    assert_eq!(
        cert.cert_chain,
        vec![Path::new("/etc/ems/certs/ca.pem").to_path_buf()]
    );
    assert!(cert.client_cert.is_some() && cert.key_file.is_some());

    assert_eq!(c.gateway_name(), Some("EdgeGateway"));
    let pump = &c.auto_bind[1];
    assert_eq!(pump.name, "Pump1");
    assert_eq!(pump.host.as_deref(), Some("127.0.0.1"));
    assert_eq!((pump.port, pump.protocol), (8001, Protocol::Https));
    assert_eq!(pump.path, "/scripts/Thingworx");
    assert_eq!(pump.timeout, Duration::from_secs(15));
    assert_eq!(pump.user.as_deref(), Some("lsr"));

    let o = &c.offline_msg_store;
    assert!(o.enabled);
    assert_eq!(o.directory.as_deref(), Some(Path::new("/etc/ems/store")));
    assert_eq!(o.max_size, 1 << 20);
    let proxy = c.proxy.as_ref().unwrap();
    assert_eq!(proxy.host, "proxy.local");
    assert_eq!(
        proxy.url().unwrap(),
        "http://u%40x:p%20w%3A%2F@proxy.local:3128",
        "user and password percent-encoded"
    );
    assert_eq!(
        c.duty_cycle,
        Some(DutyCycle::new(Duration::from_secs(60), 25).unwrap()),
        "connected 25 % of every minute"
    );
    assert_eq!(c.log_filter(), Some("debug"));
    assert_eq!(c.extensions.health_check_interval, Duration::from_secs(2));
    assert_eq!(
        c.extensions.registrations_file,
        Path::new("/etc/ems/regs.json")
    );

    let keys: Vec<&str> = warnings.iter().map(|w| w.key.as_str()).collect();
    for key in [
        "http_server.use_default_certificate",
        "http_server.max_clients",
        "http_server.content_read_timeout",
        "ws_connection.binary_mode",
        "ws_connection.compression",
        "certificates.cipher_suite",
        "auto_bind[1].accept",
        "logger.audit_target",
        "tunnel",
        "duty_cycle.delay_duty_cycle",
        "frobnicate",
    ] {
        assert!(keys.contains(&key), "no warning for {key}: {warnings:?}");
    }
    assert_eq!(keys.len(), 11, "{warnings:?}");
    assert!(
        !keys.contains(&"proxy"),
        "the proxy is applied: {warnings:?}"
    );
    let unknown = warnings.iter().find(|w| w.key == "frobnicate").unwrap();
    assert!(unknown.message.contains("unknown"), "{unknown}");
    let ignored = warnings.iter().find(|w| w.key == "tunnel").unwrap();
    assert!(ignored.message.contains("not supported"), "{ignored}");
}

#[test]
fn defaults_are_the_ems_defaults() {
    let (c, warnings) = Config::parse(
        r#"{"ws_servers":[{"host":"h","port":80}],"appKey":"k"}"#,
        "c.json",
    )
    .unwrap();
    assert!(warnings.is_empty());
    assert_eq!(c.platform_url(), "ws://h:80/Thingworx/WS");
    assert_eq!(c.http_server.bind_host(), "127.0.0.1");
    assert!(c.http_server.is_loopback());
    assert_eq!(c.http_server.port, 8000);
    assert_eq!(c.ws_connection.ping_rate, Duration::from_secs(55));
    assert_eq!(c.ws_connection.message_chunk_size, 8192);
    assert!(!c.offline_msg_store.enabled);
    assert_eq!(c.offline_msg_store.max_size, 65535);
    assert_eq!(c.extensions.health_check_interval, Duration::from_secs(60));
    assert_eq!(c.gateway_name(), None);
    assert_eq!(c.duty_cycle, None);
    let (c, warnings) = Config::parse(
        r#"{"ws_servers":[{"host":"h","port":80}],"appKey":"k",
            "duty_cycle":{"duty_cycle":100,"connect_period":60000}}"#,
        "c.json",
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.duty_cycle, None, "100 % is always connected");
}

#[test]
fn a_bad_value_is_one_error_naming_key_and_file() {
    let base = r#"{"ws_servers":[{"host":"h","port":80}],"appKey":"k""#;
    for (extra, key) in [
        (
            r#","ws_connection":{"ping_rate":"soon"}"#,
            "ws_connection.ping_rate",
        ),
        (
            r#","ws_connection":{"encryption":"rot13"}"#,
            "ws_connection.encryption",
        ),
        (r#","http_server":{"port":70000}"#, "http_server.port"),
        (r#","http_server":{"ssl":"yes"}"#, "http_server.ssl"),
        (r#","auto_bind":[{"host":"x"}]"#, "auto_bind[0].name"),
        (r#","auto_bind":[{"name":"a/b"}]"#, "auto_bind[0].name"),
        (
            r#","auto_bind":[{"name":"a","protocol":"gopher"}]"#,
            "auto_bind[0].protocol",
        ),
        (r#","logger":{"level":"LOUD"}"#, "logger.level"),
        (
            r#","offline_msg_store":{"max_size":-1}"#,
            "offline_msg_store.max_size",
        ),
        (
            r#","alwayson":{"health_check_interval":0}"#,
            "alwayson.health_check_interval",
        ),
        (
            r#","duty_cycle":{"duty_cycle":50}"#,
            "duty_cycle.connect_period",
        ),
        (
            r#","duty_cycle":{"duty_cycle":0,"connect_period":1000}"#,
            "duty_cycle.duty_cycle",
        ),
        (
            r#","duty_cycle":{"duty_cycle":101,"connect_period":1000}"#,
            "duty_cycle.duty_cycle",
        ),
    ] {
        let text = format!("{base}{extra}}}");
        let e = Config::parse(&text, "my.json").unwrap_err();
        assert_eq!(e.key, key, "{text}");
        assert_eq!(e.file, "my.json");
        assert!(
            e.to_string().starts_with(&format!("my.json: {key}: ")),
            "{e}"
        );
    }
    let e = Config::parse(r#"{"appKey":"k"}"#, "c.json").unwrap_err();
    assert_eq!(e.key, "ws_servers");
    let e = Config::parse(
        r#"{"ws_servers":[{"host":"h"}],"appKey":"AES:xyz"}"#,
        "c.json",
    )
    .unwrap_err();
    assert_eq!(e.key, "appKey");
    let e = Config::parse("{", "c.json").unwrap_err();
    assert_eq!(e.key, "");
}

#[test]
fn the_commented_example_config_parses_without_warnings() {
    let text = include_str!("../config.example.json");
    let (c, warnings) = Config::parse(text, "examples/config.json").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.platform_url(), "ws://127.0.0.1:8080/Thingworx/WS");
    assert_eq!(c.gateway_name(), Some("EdgeGateway1"));
    assert!(c.http_server.is_loopback());
    assert!(c.offline_msg_store.enabled);
}
