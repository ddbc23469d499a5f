//! The step-by-step transcript `alwayson demo` prints. One line per step:
//!
//! ```text
//! [3] platform → edge  GET SteamSensor1.Temperature  ← 21.5 (1.2 ms)
//! ```
//!
//! `[n]` numbers the steps, then who sends to whom, what was sent, what came back (`←`) and
//! how long the exchange took. Values are shown as compact JSON ([`crate::json`]).

use crate::json;
use alwayson_proto::{InfoTable, Value};
use std::io::Write;
use std::time::Duration;

/// Writes numbered step lines to a writer (standard output in the demo).
#[derive(Debug)]
pub struct Transcript<W: Write> {
    out: W,
    step: usize,
}

impl<W: Write> Transcript<W> {
    /// A transcript starting at step 1.
    pub fn new(out: W) -> Self {
        Self { out, step: 0 }
    }

    /// Writes `[n] who  what  ← result (t ms)`.
    pub fn step(&mut self, who: &str, what: &str, result: &str, took: Duration) {
        self.step += 1;
        let _ = writeln!(
            self.out,
            "[{}] {who}  {what}  ← {result} ({})",
            self.step,
            millis(took)
        );
        let _ = self.out.flush();
    }

    /// Writes `[n] who  what` for a step with no answer (an observation).
    pub fn note(&mut self, who: &str, what: &str) {
        self.step += 1;
        let _ = writeln!(self.out, "[{}] {who}  {what}", self.step);
        let _ = self.out.flush();
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// `1.2 ms` (one decimal below 100 ms, none above).
pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// A value as compact JSON (`21.5`, `"x"`, `true`).
pub fn show_value(v: &Value) -> String {
    json::value_to_json(v).to_string()
}

/// A table as its rows in compact JSON (`[{"a":1.0}]`), or `(no rows)`.
pub fn show_rows(t: &InfoTable) -> String {
    if t.is_empty() {
        return "(no rows)".into();
    }
    json::infotable_to_json(t)["rows"].to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn step_lines() {
        let mut t = Transcript::new(Vec::new());
        t.note("platform", "listening on ws://127.0.0.1:1/Thingworx/WS");
        t.step(
            "platform → edge",
            "GET SteamSensor1.Temperature",
            &show_value(&Value::Number(21.5)),
            Duration::from_micros(1234),
        );
        t.step("edge → platform", "PUSH", "ok", Duration::from_millis(250));
        let out = String::from_utf8(t.into_inner()).unwrap();
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(
            lines[0],
            "[1] platform  listening on ws://127.0.0.1:1/Thingworx/WS"
        );
        assert_eq!(
            lines[1],
            "[2] platform → edge  GET SteamSensor1.Temperature  ← 21.5 (1.2 ms)"
        );
        assert_eq!(lines[2], "[3] edge → platform  PUSH  ← ok (250 ms)");
    }

    #[test]
    fn shows_tables_as_rows() {
        let t = InfoTable::single("result", Value::string("x"));
        assert_eq!(show_rows(&t), r#"[{"result":"x"}]"#);
        assert_eq!(show_rows(&InfoTable::new()), "(no rows)");
    }
}
