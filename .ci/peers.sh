#!/usr/bin/env bash
# Runs two independent CMPP clients from PyPI (pycmpp for 2.x, cmppy for 3.0) against
# `cmpp serve`, and checks loopback captures with Wireshark's CMPP dissector.
# See ../shared/peers/README.md. Everything stays on 127.0.0.1 and is time-bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS=${PEERS_DIR:-$ROOT/../shared/peers}
[ -d "$PEERS" ] || { echo "peers folder $PEERS not found" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

if ! command -v tshark >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark python3-venv >/dev/null
fi
VENV=$ROOT/.venv-peers
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pycmpp, cmppy' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pycmpp==2.0.2 cmppy==0.3
fi
PY=$VENV/bin/python
# The peers stamp CONNECT with their local time, as SPs in China do: run them in Beijing time,
# or the gateway's ±15-minute timestamp window refuses them on a UTC machine (status 3).
export TZ=Asia/Shanghai

cargo build -q --release -p cmpp-cli
CMPP=${CARGO_TARGET_DIR:-$ROOT/target}/release/cmpp

serve() { # version port [extra options]
  "$CMPP" serve --listen "127.0.0.1:$2" --version "$1" --account 900001:888888 "${@:3}" \
    > "$WORK/serve-$1.log" 2>&1 &
  for _ in $(seq 1 100); do
    (echo > "/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "cmpp serve did not start on port $2"; cat "$WORK/serve-$1.log"; exit 1
}

serve 3.0 17890
# Heartbeat 1 s: the --no-fix case below needs an ACTIVE_TEST while the client lingers.
serve 2.0 17891 --heartbeat 1

run() { echo "---- $*"; "$@"; }
# 3.0: cmppy, session and one-shot modes, every content kind, a refused login.
run "$PEERS/capture_run.sh" 17890 "$WORK/v3.pcap" -- "$PY" "$PEERS/cmppy_client.py" --port 17890 -n 20 --content mix
run "$PY" "$PEERS/cmppy_client.py" --port 17890 -n 5 --content long
run "$PY" "$PEERS/cmppy_client.py" --port 17890 -n 5 --mode oneshot --registered-delivery 0
run "$PY" "$PEERS/cmppy_client.py" --port 17890 --secret wrong --expect-connect-status 3
# 2.x: pycmpp with Version 0x21 and 0x20, long messages, a refused login.
run "$PEERS/capture_run.sh" --v2 17891 "$WORK/v2.pcap" -- "$PY" "$PEERS/pycmpp_client.py" --port 17891 -n 20 --content mix
run "$PY" "$PEERS/pycmpp_client.py" --port 17891 -n 5 --content long --connect-version 0x20
run "$PY" "$PEERS/pycmpp_client.py" --port 17891 --secret wrong --expect-connect-status 3
# pycmpp's malformed ACTIVE_TEST_RESP: the gateway closes that connection, keeps serving.
"$PY" "$PEERS/pycmpp_client.py" --port 17891 -n 1 --no-fix --linger 3 --wait 1 > "$WORK/nofix.json" 2>&1 || true
run "$PY" "$PEERS/pycmpp_client.py" --port 17891 -n 3
echo "peers: all passed"
