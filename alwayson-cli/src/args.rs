//! Small value parsers used by the command-line flags.

use crate::emulator::subscriptions::parse_rule;
use alwayson_proto::edge::PushRule;
use alwayson_proto::Value;
use std::time::Duration;

/// Parses a duration such as `15s`, `500ms`, `2m`, `1h 30m` (humantime syntax). A bare
/// number is refused (the unit is part of the meaning), and so is zero.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.chars().all(|c| c.is_ascii_digit() || c == '.') && !s.is_empty() {
        return Err(format!("{s:?} has no unit: write e.g. {s}s or {s}ms"));
    }
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("{s:?} is not a duration like 15s, 500ms or 2m ({e})"))?;
    if d.is_zero() {
        return Err("the duration must be greater than zero".into());
    }
    Ok(d)
}

/// Parses a property VALUE from the command line:
///
/// * `true` / `false` → BOOLEAN;
/// * anything Rust reads as a *finite* `f64` (`21.5`, `-3`, `1e3`) → NUMBER;
/// * text in double quotes (`"21"`) → STRING without the quotes (to force a string);
/// * anything else (including `nan`, `inf`, the empty string) → STRING.
pub fn parse_value(s: &str) -> Value {
    match s {
        "true" => return Value::Boolean(true),
        "false" => return Value::Boolean(false),
        _ => {}
    }
    if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return Value::string(inner);
    }
    match s.parse::<f64>() {
        Ok(n) if n.is_finite() && !s.trim().is_empty() => Value::Number(n),
        _ => Value::string(s),
    }
}

/// Parses `NAME=VALUE` (the first `=` splits; VALUE as in [`parse_value`]).
pub fn parse_property(s: &str) -> Result<(String, Value), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not NAME=VALUE"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("{s:?} has an empty property name"));
    }
    Ok((name.to_owned(), parse_value(value)))
}

/// Parses an edge's `--push-rule PROP=TYPE[:THRESHOLD]` (TYPE: ALWAYS, NEVER, VALUE, ON,
/// OFF, DEADBAND, any case; THRESHOLD a number ≥ 0, default 0; `,` also separates it).
pub fn parse_push_rule(s: &str) -> Result<(String, PushRule), String> {
    let usage = || format!("{s:?}: expected PROP=TYPE[:THRESHOLD], e.g. Temperature=VALUE:0.5");
    let (name, rule) = s.split_once('=').ok_or_else(usage)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(usage());
    }
    let rule = parse_rule(rule).map_err(|e| format!("{s:?}: {e}"))?;
    Ok((name.to_owned(), rule))
}

/// Parses a thing name for `--bind`: not empty, and at most 127 bytes (a limit of the
/// 1.3.1 C SDK's string decoder, session-lifecycle.md §16 item 11).
pub fn parse_thing_name(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("the thing name is empty".into());
    }
    if s.len() > 127 {
        return Err(format!(
            "the thing name is {} bytes long; at most 127 are allowed",
            s.len()
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alwayson_proto::edge::PushType;

    #[test]
    fn push_rules() {
        assert_eq!(
            parse_push_rule("Temperature=VALUE:0.5").unwrap(),
            (
                "Temperature".to_owned(),
                PushRule::new(PushType::Value).with_threshold(0.5)
            )
        );
        assert_eq!(
            parse_push_rule("p=never").unwrap().1,
            PushRule::new(PushType::Never)
        );
        assert_eq!(parse_push_rule("p=DEADBAND,2").unwrap().1.threshold, 2.0);
        for bad in ["p", "=VALUE", "p=SOMETIMES", "p=VALUE:-1", "p=VALUE:x"] {
            assert!(parse_push_rule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15s").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(
            parse_duration(" 1h 30m ").unwrap(),
            Duration::from_secs(5400)
        );
        assert!(parse_duration("15").unwrap_err().contains("no unit"));
        assert!(parse_duration("0s")
            .unwrap_err()
            .contains("greater than zero"));
        assert!(parse_duration("soon")
            .unwrap_err()
            .contains("not a duration"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn values() {
        assert_eq!(parse_value("21.5"), Value::Number(21.5));
        assert_eq!(parse_value("-3"), Value::Number(-3.0));
        assert_eq!(parse_value("1e3"), Value::Number(1000.0));
        assert_eq!(parse_value("true"), Value::Boolean(true));
        assert_eq!(parse_value("false"), Value::Boolean(false));
        assert_eq!(parse_value("True"), Value::string("True"));
        assert_eq!(parse_value("hello world"), Value::string("hello world"));
        assert_eq!(parse_value("\"21\""), Value::string("21"));
        assert_eq!(parse_value("nan"), Value::string("nan"));
        assert_eq!(parse_value("inf"), Value::string("inf"));
        assert_eq!(parse_value(""), Value::string(""));
    }

    #[test]
    fn properties() {
        assert_eq!(
            parse_property("Temperature=21.5").unwrap(),
            ("Temperature".into(), Value::Number(21.5))
        );
        assert_eq!(
            parse_property("expr=a=b").unwrap(),
            ("expr".into(), Value::string("a=b"))
        );
        assert_eq!(
            parse_property("s=").unwrap(),
            ("s".into(), Value::string(""))
        );
        assert!(parse_property("novalue")
            .unwrap_err()
            .contains("NAME=VALUE"));
        assert!(parse_property("=1").unwrap_err().contains("empty"));
    }

    #[test]
    fn thing_names() {
        assert_eq!(parse_thing_name("SteamSensor1").unwrap(), "SteamSensor1");
        assert!(parse_thing_name("").is_err());
        assert!(parse_thing_name(&"x".repeat(128)).is_err());
        assert!(parse_thing_name(&"x".repeat(127)).is_ok());
    }
}
