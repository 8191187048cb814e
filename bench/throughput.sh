#!/usr/bin/env bash
# SENTINEL GET-MASTER-ADDR-BY-NAME throughput, tssentinel vs redis-sentinel,
# side by side on the same master, interleaved. redis-benchmark -c 50,
# unpipelined and pipelined x16. Everything on 127.0.0.1; every process is
# stopped by PID on exit. Usage: bench/throughput.sh [rounds] [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
REQUESTS=${2:-200000}
DIR=$(mktemp -d /tmp/tss-bench-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
port() { python3 -c 'import socket,random
while True:
  p=random.randint(10000,32000); s=socket.socket()
  try: s.bind(("127.0.0.1",p)); s.close(); print(p); break
  except OSError: pass'; }
MP=$(port); RP=$(port); TP=$(port)
redis-server --port "$MP" --bind 127.0.0.1 --save '' --daemonize no >"$DIR/m.log" 2>&1 & PIDS+=($!)
for kind in real ts; do
  p=$([ $kind = real ] && echo "$RP" || echo "$TP")
  printf 'port %s\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 %s 1\n' "$p" "$MP" > "$DIR/$kind.conf"
done
redis-sentinel "$DIR/real.conf" >"$DIR/real.log" 2>&1 & PIDS+=($!)
node dist/cli.js "$DIR/ts.conf" >"$DIR/ts.log" 2>&1 & PIDS+=($!)
for p in "$RP" "$TP"; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
run() { # port pipeline -> requests/s
  timeout 120 redis-benchmark -p "$1" -c 50 -n "$REQUESTS" -P "$2" -q \
    SENTINEL get-master-addr-by-name mymaster 2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1
}
echo "implementation,pipeline,round,requests_per_s"
for r in $(seq "$ROUNDS"); do
  for P in 1 16; do
    echo "redis-sentinel,$P,$r,$(run "$RP" "$P")"
    echo "tssentinel,$P,$r,$(run "$TP" "$P")"
  done
done
