#!/usr/bin/env bash
# Memory and CPU of tssentinel and redis-sentinel monitoring N masters (one
# redis-server each, no replicas), side by side on the same masters.
# Memory per master = (RSS with N masters - RSS with none) / N.
# CPU = utime+stime of the Sentinel process over a window, as % of one core.
# Usage: bench/scale.sh [masters=300] [window_s=60]. Loopback only; every
# process is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300}
WINDOW=${2:-60}
DIR=$(mktemp -d /tmp/tss-scale-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
ports() { python3 - "$1" <<'PY'
import socket, random, sys
n = int(sys.argv[1]); out = set()
while len(out) < n:
    p = random.randint(10000, 32000)
    if p in out: continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); s.close(); out.add(p)
    except OSError:
        pass
print(" ".join(map(str, out)))
PY
}
read -r -a MPORTS <<< "$(ports "$N")"
read -r RP TP RP0 TP0 <<< "$(ports 4)"
for p in "${MPORTS[@]}"; do
  redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning >/dev/null 2>&1 & PIDS+=($!)
done
mkconf() { # file port with_masters
  { echo "port $2"; echo "bind 127.0.0.1"; echo "logfile \"$DIR/$(basename "$1").log\"";
    if [ "$3" = yes ]; then i=0; for p in "${MPORTS[@]}"; do echo "sentinel monitor m$i 127.0.0.1 $p 1"; i=$((i+1)); done; fi; } > "$1"
}
mkconf "$DIR/real.conf" "$RP" yes; mkconf "$DIR/ts.conf" "$TP" yes
mkconf "$DIR/real0.conf" "$RP0" no; mkconf "$DIR/ts0.conf" "$TP0" no
redis-sentinel "$DIR/real.conf" >/dev/null 2>&1 & REAL=$!; PIDS+=($REAL)
node ${TS_NODE_FLAGS---max-semi-space-size=1} dist/cli.js "$DIR/ts.conf" >/dev/null 2>&1 & TS=$!; PIDS+=($TS)
redis-sentinel "$DIR/real0.conf" >/dev/null 2>&1 & REAL0=$!; PIDS+=($REAL0)
node ${TS_NODE_FLAGS---max-semi-space-size=1} dist/cli.js "$DIR/ts0.conf" >/dev/null 2>&1 & TS0=$!; PIDS+=($TS0)
sleep 20 # links up, first INFO round done
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)
c1r=$(cpu $REAL); c1t=$(cpu $TS); sleep "$WINDOW"; c2r=$(cpu $REAL); c2t=$(cpu $TS)
python3 - "$N" "$WINDOW" "$TICK" "$(rss $REAL)" "$(rss $REAL0)" "$(rss $TS)" "$(rss $TS0)" "$c1r" "$c2r" "$c1t" "$c2t" <<'PY'
import sys
n, w, tick = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
rr, rr0, tr, tr0 = map(int, sys.argv[4:8])
c1r, c2r, c1t, c2t = map(float, sys.argv[8:12])
def row(name, rss, rss0, c1, c2):
    per = (rss - rss0) / n
    cpu = (c2 - c1) / tick / w * 100
    print(f"| {name} | {n} | {rss/1024:.1f} MiB | {rss0/1024:.1f} MiB | {per:.1f} KiB | {cpu:.2f} % |")
print("| implementation | masters | RSS | RSS with 0 masters | per master | CPU (one core) |")
print("|---|---:|---:|---:|---:|---:|")
row("redis-sentinel", rr, rr0, c1r, c2r)
row("tssentinel", tr, tr0, c1t, c2t)
PY
echo "masters seen: real=$(redis-cli -p "$RP" info sentinel | grep -c '^master') ts=$(redis-cli -p "$TP" info sentinel | grep -c '^master')"
