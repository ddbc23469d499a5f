#!/usr/bin/env bash
# The small edge's footprint (issue 14): builds `alwayson-edge-small` with
# `--profile release-small` without TLS (its size, for the table) and with TLS (the binary
# measured), starts `alwayson platform` on loopback, runs the small edge against it (one thing,
# one property pushed every second, ws://), checks on the platform that it is bound and pushing,
# waits, and reads the edge's /proc/PID/status. The last line is
#   binary_bytes=N rss_kib=N hwm_kib=N threads=N
# (stripped binary with TLS compiled in; VmRSS, VmHWM, Threads of the running edge).
#
# Link: by default the edge is linked statically with musl (`--target
# x86_64-unknown-linux-musl`, static-pie: no libc.so, ld.so or libgcc_s mapped, and musl's code
# is a fraction of glibc's; alwayson-edge-small's build.rs packs its relocations as DT_RELR); the script adds the target with `rustup target add` when missing
# and falls back to the glibc dynamic build, saying so, when it cannot. ring's C and assembly
# are compiled with `musl-gcc` when installed, else with the host `gcc` (ring's C needs no libc).
#
# Environment: CARGO_TARGET_DIR (reused if set), ALWAYSON (a built `alwayson` CLI, debug or
# release; built in debug when unset), FOOTPRINT_WAIT (seconds connected before reading,
# default 10), FOOTPRINT_LINK = musl (default) | dynamic (glibc, the host default) | static
# (glibc static, non-PIE; rebuilds every dependency, so better with its own CARGO_TARGET_DIR;
# FOOTPRINT_STATIC=1 is the same), FOOTPRINT_NIGHTLY=1 (musl only: `cargo +nightly` with
# `-Z build-std=std,panic_abort` and the `immediate-abort` panic strategy, in
# $CARGO_TARGET_DIR/nightly; smaller, needs a nightly with rust-src). Linux x86_64 only (/proc). Not run by .ci/run: the
# release-small builds are slow.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
TARGET=${CARGO_TARGET_DIR:-target}
WAIT=${FOOTPRINT_WAIT:-10}
KEY=footprint
THING=SteamSensor1
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '%s\n' "$*" >&2; }

LINK=${FOOTPRINT_LINK:-musl}
[ "${FOOTPRINT_STATIC:-0}" = 1 ] && LINK=static
MUSL=x86_64-unknown-linux-musl
if [ "$LINK" = musl ]; then
  if ! rustup target list --installed 2>/dev/null | grep -qx "$MUSL"; then
    say "adding the $MUSL target (rustup target add $MUSL)"
    rustup target add "$MUSL" >&2 || true
  fi
  if ! rustup target list --installed 2>/dev/null | grep -qx "$MUSL"; then
    say "the $MUSL target is not available: FALLING BACK to the glibc dynamic build"
    LINK=dynamic
  fi
fi

# build_edge OUT [cargo args]: builds the small edge and copies it to $work/OUT.
build_edge() {
  local out=$1; shift
  case "$LINK" in
    musl)
      local cc=gcc; command -v musl-gcc >/dev/null && cc=musl-gcc
      if [ "${FOOTPRINT_NIGHTLY:-0}" = 1 ]; then
        # An explicit --target keeps RUSTFLAGS off the proc-macros (built for the host).
        CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-$cc} \
          CARGO_TARGET_DIR="$TARGET/nightly" \
          RUSTFLAGS="${RUSTFLAGS:-} -Zunstable-options -Cpanic=immediate-abort" \
          cargo +nightly build -q -p alwayson-edge-small --profile release-small --target "$MUSL" \
          -Z build-std=std,panic_abort "$@"
        cp "$TARGET/nightly/$MUSL/release-small/alwayson-edge-small" "$work/$out"
      else
        CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-$cc} \
          cargo build -q -p alwayson-edge-small --profile release-small --target "$MUSL" "$@"
        cp "$TARGET/$MUSL/release-small/alwayson-edge-small" "$work/$out"
      fi
      ;;
    static)
      # An explicit --target keeps RUSTFLAGS off the proc-macros (built for the host).
      local host; host=$(rustc -vV | sed -n 's/^host: //p')
      RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
        cargo build -q -p alwayson-edge-small --profile release-small --target "$host" "$@"
      cp "$TARGET/$host/release-small/alwayson-edge-small" "$work/$out"
      ;;
    dynamic)
      cargo build -q -p alwayson-edge-small --profile release-small "$@"
      cp "$TARGET/release-small/alwayson-edge-small" "$work/$out"
      ;;
    *) say "FOOTPRINT_LINK must be musl, dynamic or static (got $LINK)"; exit 2 ;;
  esac
}
link=$LINK
[ "$LINK" = musl ] && [ "${FOOTPRINT_NIGHTLY:-0}" = 1 ] && link="musl nightly"
say "building alwayson-edge-small (release-small, $link, no TLS)"
build_edge edge-notls --no-default-features
say "building alwayson-edge-small (release-small, $link, TLS)"
build_edge edge-tls

ALWAYSON=${ALWAYSON:-}
if [ -z "$ALWAYSON" ]; then
  say "building the alwayson CLI (debug) for the platform"
  cargo build -q -p alwayson-cli
  ALWAYSON="$TARGET/debug/alwayson"
fi

# The platform on a free loopback port; its first stdout line is "listening on <url>".
"$ALWAYSON" platform --listen 127.0.0.1:0 --app-key "$KEY" >"$work/platform.out" 2>"$work/platform.err" &
pids+=($!)
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on //p' "$work/platform.out" | head -n1)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { say "the platform did not start:"; cat "$work/platform.err" >&2; exit 1; }
rest="http://${url#ws://}"; rest="${rest%/Thingworx/WS}/Thingworx/Things/$THING"

# Runs one edge binary for $WAIT seconds; prints "rss_kib=N hwm_kib=N threads=N".
measure() {
  local bin=$1
  "$bin" "$url" --app-key "$KEY" --thing "$THING" --property Temperature --every 1 \
    2>"$work/edge.err" &
  local pid=$!
  pids+=("$pid")
  sleep "$WAIT"
  kill -0 "$pid" 2>/dev/null || { say "the edge exited:"; cat "$work/edge.err" >&2; exit 1; }
  local status; status=$(cat "/proc/$pid/status")
  # Bound and pushing: the platform says connected and holds a pushed value >= WAIT - 2.
  local thing value
  thing=$(curl -fsS -H "appKey: $KEY" "$rest")
  value=$(curl -fsS -H "appKey: $KEY" "$rest/Properties/Temperature?source=stored")
  say "platform: $thing; stored: $value"
  case "$thing" in *'"isConnected":true'*) ;; *) say "the thing is not connected"; exit 1 ;; esac
  local pushed; pushed=$(printf '%s' "$value" | sed -n 's/.*"Temperature":\([0-9.]*\).*/\1/p')
  awk -v v="${pushed:-0}" -v w="$WAIT" 'BEGIN { exit !(v >= w - 2) }' \
    || { say "too few pushes arrived (last value ${pushed:-none})"; exit 1; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%s\n' "$status" | awk '
    /^VmRSS:/   { rss = $2 } /^VmHWM:/ { hwm = $2 } /^Threads:/ { thr = $2 }
    /^RssAnon:/ { anon = $2 } /^RssFile:/ { file = $2 }
    END { printf "rss_kib=%d hwm_kib=%d threads=%d rss_anon_kib=%d rss_file_kib=%d\n", rss, hwm, thr, anon, file }'
}

notls_bytes=$(stat -c %s "$work/edge-notls")
tls_bytes=$(stat -c %s "$work/edge-tls")
say "measuring the edge without TLS ($notls_bytes bytes) for ${WAIT} s"
notls=$(measure "$work/edge-notls")
say "measuring the edge with TLS compiled in ($tls_bytes bytes), ws://, for ${WAIT} s"
tls=$(measure "$work/edge-tls")
echo "$link, no TLS:   binary_bytes=$notls_bytes $notls"
echo "$link, with TLS: binary_bytes=$tls_bytes $tls"
echo "binary_bytes=$tls_bytes $(printf '%s' "$tls" | cut -d' ' -f1-3)"
