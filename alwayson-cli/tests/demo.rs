//! `alwayson demo` runs end to end and its transcript shows every step.
#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn demo_transcript_has_every_step() {
    let out = common::bin()
        .arg("demo")
        .output()
        .expect("run alwayson demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo failed: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let expect = [
        ("[1] platform  listening on ws://127.0.0.1:", "/Thingworx/WS"),
        ("[2] edge → platform  AUTH appKey, BIND SteamSensor1  ← ", "isConnected=true"),
        ("[3] edge → platform  PUSH SteamSensor1 Temperature=21.5, Pressure=1.2, InletValve=true  ← ", "platform stored Temperature=21.5"),
        ("[4] platform → edge  GET SteamSensor1.Temperature  ← 21.5 (", " ms)"),
        ("[5] platform → edge  PUT SteamSensor1.Pressure = 2.5  ← ok (", " ms)"),
        ("[6] platform → edge  GET SteamSensor1.Pressure  ← 2.5 (", " ms)"),
        ("[7] platform → edge  POST SteamSensor1.AddNumbers {\"a\":2,\"b\":3}  ← [{\"result\":5.0}] (", " ms)"),
        ("[8] edge → platform  UNBIND SteamSensor1  ← ok (", " ms)"),
        ("[9] platform  SteamSensor1 isConnected=false lastConnection=", ""),
        ("[10] demo  done", ""),
    ];
    assert_eq!(lines.len(), expect.len(), "transcript:\n{stdout}");
    for (line, (start, contains)) in lines.iter().zip(expect) {
        assert!(
            line.starts_with(start),
            "line {line:?} should start with {start:?}\n{stdout}"
        );
        assert!(
            line.contains(contains),
            "line {line:?} should contain {contains:?}"
        );
    }
    // timed steps end with "(N.N ms)" / "(N ms)"
    for line in &lines[1..8] {
        let t = line.rsplit_once('(').unwrap().1;
        assert!(
            t.ends_with(" ms)") && t.trim_end_matches(" ms)").parse::<f64>().is_ok(),
            "{line}"
        );
    }
    // lastConnection is a plausible ms timestamp (after 2020)
    let last: u64 = lines[8].rsplit_once('=').unwrap().1.parse().unwrap();
    assert!(last > 1_577_836_800_000, "{last}");
    // nothing alarming on stderr
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("WARN"),
        "stderr:\n{stderr}"
    );
}
