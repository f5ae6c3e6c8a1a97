#!/usr/bin/env bash
# Builds the fuzz targets with plain stable cargo (libfuzzer-sys needs no sanitizer for this)
# and replays every seed corpus through its target; any crash fails the script.
#
# FUZZ_SECONDS=N additionally fuzzes each target for N seconds (default 0: replay only).
# A campaign with sanitizers uses cargo-fuzz instead, see the README.
set -euo pipefail
cd "$(dirname "$0")"
targets=(frame_decode status_report reassembler text_decode packet_roundtrip client_session sgip_decode smgp_decode)
# Our own target dir unless the caller chose one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --manifest-path Cargo.toml --bins
seconds="${FUZZ_SECONDS:-0}"
for t in "${targets[@]}"; do
    bin="$CARGO_TARGET_DIR/debug/$t"
    corpus="seeds/$t"
    count=$(find "$corpus" -type f | wc -l)
    if [ "$count" -eq 0 ]; then
        echo "no seeds for $t in fuzz/$corpus" >&2
        exit 1
    fi
    echo "replaying $count seeds through $t"
    # Each file given as an argument is run once; a crash exits non-zero.
    find "$corpus" -type f -print0 | xargs -0 "$bin" -runs=1 >"$CARGO_TARGET_DIR/replay-$t.log" 2>&1 \
        || { cat "$CARGO_TARGET_DIR/replay-$t.log" >&2; echo "$t crashed on a seed" >&2; exit 1; }
    if [ "$seconds" -gt 0 ]; then
        echo "fuzzing $t for ${seconds}s"
        work=$(mktemp -d)
        cp "$corpus"/* "$work"/
        "$bin" -max_total_time="$seconds" -artifact_prefix="$CARGO_TARGET_DIR/$t-" "$work" \
            >"$CARGO_TARGET_DIR/fuzz-$t.log" 2>&1 \
            || { tail -40 "$CARGO_TARGET_DIR/fuzz-$t.log" >&2; echo "$t crashed while fuzzing" >&2; exit 1; }
        rm -rf "$work"
    fi
done
echo "fuzz replay: ${#targets[@]} targets, all seeds passed"
