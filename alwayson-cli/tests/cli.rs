//! The binary's usage errors, help, exit codes and `decode`.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

fn run(args: &[&str]) -> Output {
    common::bin().args(args).output().expect("run alwayson")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_lists_commands_and_exit_codes() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for word in [
        "demo",
        "platform",
        "edge",
        "decode",
        "Exit codes",
        "3  credentials refused",
        "4  platform unreachable",
    ] {
        assert!(help.contains(word), "--help lacks {word:?}:\n{help}");
    }
    for sub in ["demo", "platform", "edge", "decode"] {
        let out = run(&[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{sub} --help");
        assert!(text(&out.stdout).contains("Exit codes"), "{sub} --help");
    }
}

#[test]
fn usage_errors_exit_2_with_one_message() {
    for args in [
        &["frobnicate"][..],
        &["platform"],
        &["platform", "--app-key", "k", "--auth-timeout", "soon"],
        &[
            "edge",
            "http://127.0.0.1:1/x",
            "--app-key",
            "k",
            "--bind",
            "T",
        ],
        &["edge", "ws://127.0.0.1:1/x", "--app-key", "k"],
        &[
            "edge",
            "ws://127.0.0.1:1/x",
            "--app-key",
            "k",
            "--bind",
            "T",
            "--proxy",
            "socks5://u:p@127.0.0.1:1080",
        ],
        &[
            "edge",
            "ws://127.0.0.1:1/x",
            "--app-key",
            "k",
            "--bind",
            "T",
            "--duty-cycle",
            "1m:100",
        ],
        &[
            "edge",
            "ws://127.0.0.1:1/x",
            "--app-key",
            "k",
            "--bind",
            "T",
            "--property",
            "novalue",
        ],
    ] {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!err.contains("u:p@"), "the proxy password is shown: {err}");
    }
}

#[test]
fn unreadable_tls_files_are_a_runtime_error() {
    let out = run(&[
        "platform",
        "--listen",
        "127.0.0.1:0",
        "--app-key",
        "k",
        "--tls-cert",
        "/nonexistent/c.pem",
        "--tls-key",
        "/nonexistent/k.pem",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot read TLS certificate /nonexistent/c.pem"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(not(feature = "legacy-tls"))]
#[test]
fn tls_legacy_needs_the_feature() {
    let (dir, _ca, cert, key) = common::pki_files();
    let out = run(&[
        "platform",
        "--listen",
        "127.0.0.1:0",
        "--app-key",
        "k",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--tls-legacy",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--tls-legacy needs a build with the legacy-tls feature"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// base-types.md E1: AUTH with application key `abc123`.
const E1: &str = "01 | 14 | 00 00 00 01 | 00 00 00 00 | FF FF FF FF | 00\n01\n06 61 70 70 4B 65 79\n06 61 62 63 31 32 33";

#[test]
fn decode_from_args_stdin_and_file() {
    let out = run(&["decode", E1]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("AUTH") && shown.contains("appKey") && shown.contains("abc123"),
        "{shown}"
    );

    let words: Vec<&str> = E1.split_whitespace().collect();
    let mut args = vec!["decode"];
    args.extend(words);
    assert_eq!(text(&run(&args).stdout), shown);

    let mut child = common::bin()
        .args(["decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(E1.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout), shown);

    let path = std::env::temp_dir().join(format!("alwayson-e1-{}.hex", std::process::id()));
    std::fs::write(&path, format!("# E1\n{E1}\n")).unwrap();
    let out = run(&["decode", "--file", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(text(&out.stdout), shown);
}

#[test]
fn decode_errors_point_at_the_offset() {
    // E1 cut inside the key string: the error names an offset and shows a caret
    let out = run(&[
        "decode",
        "01 14 00 00 00 01 00 00 00 00 FF FF FF FF 00 01 06 61 70 70 4B 65 79 06 61 62",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("byte offset"), "{err}");
    assert!(err.contains("^^ byte"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let out = run(&["decode", "01 1g"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("invalid character 'g'"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["decode", "--file", "/nonexistent/x.hex"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read /nonexistent/x.hex"));
}
