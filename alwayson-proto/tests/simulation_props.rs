//! Property test over the simulator: random operation sequences (requests both ways,
//! bind/unbind, time steps, link faults, cuts, closes) never panic, and afterwards the
//! protocol invariants hold.
#![allow(clippy::unwrap_used)]

mod sim;

use alwayson_proto::edge::EdgeState;
use alwayson_proto::{BindPolicy, PropertyUpdate, Request, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use sim::*;
use std::time::Duration;

const THINGS: [&str; 4] = ["T0", "T1", "T2", "T3"];
const NODES: usize = 2;

#[derive(Debug, Clone)]
enum Op {
    EdgeRequest {
        node: usize,
        kind: u8,
        thing: usize,
    },
    PlatformRequest {
        node: usize,
        kind: u8,
        thing: usize,
    },
    Bind {
        node: usize,
        thing: usize,
    },
    Unbind {
        node: usize,
        thing: usize,
    },
    Step(u64),
    Drop {
        node: usize,
        ppm: u32,
    },
    Dup {
        node: usize,
        ppm: u32,
    },
    Jitter {
        node: usize,
        ms: u64,
    },
    SwallowPongs {
        node: usize,
        on: bool,
    },
    Silent {
        node: usize,
        platform: bool,
        on: bool,
    },
    Cut {
        node: usize,
    },
    Close {
        node: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let node = 0..NODES;
    let thing = 0..THINGS.len();
    prop_oneof![
        20 => (node.clone(), 0u8..6, thing.clone())
            .prop_map(|(node, kind, thing)| Op::EdgeRequest { node, kind, thing }),
        16 => (node.clone(), 0u8..6, thing.clone())
            .prop_map(|(node, kind, thing)| Op::PlatformRequest { node, kind, thing }),
        6 => (node.clone(), thing.clone()).prop_map(|(node, thing)| Op::Bind { node, thing }),
        4 => (node.clone(), thing).prop_map(|(node, thing)| Op::Unbind { node, thing }),
        20 => prop_oneof![0u64..50, 0u64..3_000, 0u64..70_000].prop_map(Op::Step),
        2 => (node.clone(), prop_oneof![Just(0u32), 0u32..300_000])
            .prop_map(|(node, ppm)| Op::Drop { node, ppm }),
        2 => (node.clone(), prop_oneof![Just(0u32), 0u32..300_000])
            .prop_map(|(node, ppm)| Op::Dup { node, ppm }),
        2 => (node.clone(), prop_oneof![Just(0u64), 0u64..15_000])
            .prop_map(|(node, ms)| Op::Jitter { node, ms }),
        2 => (node.clone(), any::<bool>()).prop_map(|(node, on)| Op::SwallowPongs { node, on }),
        1 => (node.clone(), any::<bool>(), any::<bool>())
            .prop_map(|(node, platform, on)| Op::Silent { node, platform, on }),
        3 => node.clone().prop_map(|node| Op::Cut { node }),
        1 => node.prop_map(|node| Op::Close { node }),
    ]
}

fn request(kind: u8, thing: &str) -> Request {
    match kind {
        0 => Request::read_property(thing, "p"),
        1 => Request::write_property(thing, "p", Value::Number(f64::from(kind))),
        2 => Request::invoke_service(thing, "Add", Some(add_params(1.0, 2.0))),
        3 => Request::push_properties(
            thing,
            &[PropertyUpdate::new(
                "q",
                Value::Integer(3),
                1_700_000_000_000,
            )],
        ),
        // Large enough to be multipart with 1024-byte chunks.
        4 => Request::write_property(thing, "p", Value::string("y".repeat(5000))),
        _ => Request::read_property(thing, "missing"),
    }
}

fn run(policy: BindPolicy, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut sim = Sim::new(SimConfig {
        policy,
        ..SimConfig::default()
    });
    for (i, _) in (0..NODES).enumerate() {
        let mut cfg = edge_config();
        cfg.chunk_size = 1024;
        cfg.queue_until_authenticated = Some(4);
        let n = sim.add_edge(cfg);
        sim.node_mut(n).reconnect_delay = Duration::from_millis(500 + 700 * i as u64);
        for t in THINGS {
            sim.node_mut(n).app.set(t, "p", Value::Integer(i as i32));
        }
        sim.edge_bind(n, &THINGS[i..i + 2]);
        sim.connect(n);
    }
    for t in THINGS {
        sim.platform_app.set(t, "p", Value::Number(0.5));
    }

    for op in ops {
        match *op {
            Op::EdgeRequest { node, kind, thing } => {
                let _ = sim.edge_request(node, request(kind, THINGS[thing]));
            }
            Op::PlatformRequest { node, kind, thing } => {
                let _ = sim.platform_request(node, request(kind, THINGS[thing]));
            }
            Op::Bind { node, thing } => sim.edge_bind(node, &[THINGS[thing]]),
            Op::Unbind { node, thing } => sim.edge_unbind(node, &[THINGS[thing]]),
            Op::Step(ms) => sim.run_for(Duration::from_millis(ms)),
            Op::Drop { node, ppm } => sim.link(node).drop_ppm = ppm,
            Op::Dup { node, ppm } => sim.link(node).dup_ppm = ppm,
            Op::Jitter { node, ms } => sim.link(node).extra_delay_max = Duration::from_millis(ms),
            Op::SwallowPongs { node, on } => sim.link(node).swallow_pongs = on,
            Op::Silent { node, platform, on } => {
                if platform {
                    sim.platform_app.silent = on;
                } else {
                    sim.node_mut(node).app.silent = on;
                }
            }
            Op::Cut { node } => sim.cut(node),
            Op::Close { node } => sim.edge_close(node),
        }
        let bad: Vec<String> = sim
            .nodes
            .iter()
            .flat_map(|n| n.trace.violations.iter().cloned())
            .collect();
        prop_assert!(bad.is_empty(), "after {op:?}: {bad:#?}");
    }

    // Settle on a perfect link.
    for n in 0..NODES {
        let link = sim.link(n);
        link.drop_ppm = 0;
        link.dup_ppm = 0;
        link.extra_delay_max = Duration::ZERO;
        link.swallow_pongs = false;
        sim.node_mut(n).app.silent = false;
    }
    sim.platform_app.silent = false;
    sim.run_for(Duration::from_secs(200));

    if std::env::var_os("SIM_STATS").is_some() {
        eprintln!(
            "ops {} elapsed {:?} wire {} {} conns {} {} reqs {} {}",
            ops.len(),
            sim.elapsed(),
            sim.trace(0).wire.len(),
            sim.trace(1).wire.len(),
            sim.node(0).conns.len(),
            sim.node(1).conns.len(),
            sim.trace(0).edge_requests.len(),
            sim.trace(1).edge_requests.len()
        );
    }
    let bad = sim.check_invariants();
    prop_assert!(bad.is_empty(), "invariants: {bad:#?}");
    let bad = sim.check_bound_agreement();
    prop_assert!(bad.is_empty(), "bound sets: {bad:#?}");
    let bad = sim.check_request_endings();
    prop_assert!(bad.is_empty(), "request endings: {bad:#?}");
    for n in 0..NODES {
        let state = sim.edge(n).state();
        if state != EdgeState::Closed {
            prop_assert_eq!(
                state,
                EdgeState::Authenticated,
                "node {} did not recover",
                n
            );
            prop_assert!(sim.node(n).conn().is_some());
        }
        // Exactly one live connection per node at most.
        let live = sim
            .node(n)
            .conns
            .iter()
            .filter(|c| !c.platform_closed)
            .count();
        prop_assert!(live <= 1, "node {}: {} live platform sessions", n, live);
    }
    Ok(())
}

fn config() -> Config {
    Config {
        cases: 64,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0xA1_3A_75_0E),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_operations_keep_invariants_first_in_wins(ops in prop::collection::vec(op(), 1..80)) {
        run(BindPolicy::FirstInWins, &ops)?;
    }

    #[test]
    fn random_operations_keep_invariants_last_in_wins(ops in prop::collection::vec(op(), 1..80)) {
        run(BindPolicy::LastInWins, &ops)?;
    }
}
