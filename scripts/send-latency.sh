#!/usr/bin/env bash
# `sero wallet send --wait` on `sero dev`, command to inclusion (issue 14):
# starts a fresh dev chain on a free port, then times N private payments
# from the dev account (each: sync, zk parameters, prove 1 input + 2
# outputs in parallel, submit, wait for the block) and prints each time and
# the median. The first send also generates and caches the development
# parameters in the wallet directory; it is reported apart.
#
#   scripts/send-latency.sh [N] [SERO_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-5}"
SERO="${2:-target/debug/sero}"
[ -x "$SERO" ] || cargo build -p sero
DIR="$(mktemp -d)"
trap 'kill $DEV 2>/dev/null || true; rm -rf "$DIR"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SERO" dev --datadir "$DIR/chain" --rpc-addr "127.0.0.1:$PORT" --no-web > "$DIR/dev.log" 2>&1 &
DEV=$!
for _ in $(seq 100); do grep -q "rpc  " "$DIR/dev.log" && break; sleep 0.2; done
export SERO_MNEMONIC="$(sed -n 's/.*dev mnemonic   : //p' "$DIR/dev.log")"
TO="$("$SERO" --json keys new | python3 -c 'import json,sys; print(json.load(sys.stdin)["pk"])')"
send() {
    local t0 t1
    t0=$(date +%s.%N)
    "$SERO" wallet --rpc "http://127.0.0.1:$PORT" --wallet-dir "$DIR/wallet" \
        send --to "$TO" --amount 5 --wait > /dev/null 2>&1
    t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.3f}')"
}
echo "first send (generates and caches the dev parameters): $(send) s"
times=()
for i in $(seq "$N"); do
    t=$(send)
    times+=("$t")
    echo "send $i: $t s"
done
printf '%s\n' "${times[@]}" | sort -n | python3 -c '
import sys
v = [float(x) for x in sys.stdin]
print(f"median of {len(v)}: {v[len(v)//2]:.3f} s (min {min(v):.3f}, max {max(v):.3f})")'
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
