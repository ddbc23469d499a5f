#!/usr/bin/env bash
# Builds every fuzz target and runs each for the given number of seconds (default 60).
# Exits non-zero as soon as a target finds a crash (the input is left in fuzz/artifacts/).
#
#   fuzz/run.sh [SECONDS]
#
# Works on the stable toolchain: cargo-fuzz needs nightly-only `-Z` flags, which
# RUSTC_BOOTSTRAP=1 unlocks. CARGO_TARGET_DIR is honoured if set (fuzz builds use other
# flags than the workspace, so point it somewhere other than the workspace's target dir);
# otherwise cargo-fuzz uses fuzz/target.
set -euo pipefail

secs="${1:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi

export RUSTC_BOOTSTRAP=1
# The address sanitizer works with the stable toolchain's libraries here; override with
# FUZZ_SANITIZER=none if it does not on some machine.
sanitizer="${FUZZ_SANITIZER:-address}"
targets=(decode_frame decode_infotable reassembler)

cargo run --quiet --example seed_corpus -- "$here"
cargo fuzz build --release --sanitizer "$sanitizer"

for t in "${targets[@]}"; do
    echo "=== fuzzing $t for ${secs}s ==="
    # -rss_limit_mb / -max_len keep runs bounded; -print_final_stats summarises.
    cargo fuzz run --release --sanitizer "$sanitizer" "$t" "corpus/$t" -- \
        -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1
done
echo "fuzzing finished: no crashes"
