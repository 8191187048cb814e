#!/usr/bin/env python3
"""redis-py writer for bench/loss.mjs: acknowledged INCR w:<i> in a tight loop.

    python3 bench/loss_writer.py --sentinels 127.0.0.1:P1,127.0.0.1:P2 [--name mymaster] [--max-seconds 120]

Connects with redis.sentinel.Sentinel([...]).master_for(name) and sends
INCR w:1, INCR w:2, ... one at a time. Prints "count <acked>" every 100
acknowledged writes; on "stop" (or EOF) on stdin, or after --max-seconds,
prints one JSON line {"acked": [i, ...], "unknown": n, "pauseMs": ms,
"pauseEndMs": 0} and exits. pauseMs is the longest gap between two
acknowledged writes.
"""
import argparse
import json
import sys
import threading
import time

import redis
from redis.sentinel import Sentinel


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentinels", required=True)
    parser.add_argument("--name", default="mymaster")
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--timeout", type=float, default=0.5)
    args = parser.parse_args()
    sentinels = [(h, int(p)) for h, p in (s.rsplit(":", 1) for s in args.sentinels.split(","))]
    stop = threading.Event()

    def read_stdin():
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=read_stdin, daemon=True).start()
    sentinel = Sentinel(sentinels, socket_timeout=args.timeout, socket_connect_timeout=args.timeout)
    master = sentinel.master_for(args.name, socket_timeout=args.timeout, socket_connect_timeout=args.timeout)
    deadline = time.monotonic() + args.max_seconds
    acked, unknown, pause, last = [], 0, 0.0, None
    i = 0
    while not stop.is_set() and time.monotonic() < deadline:
        i += 1
        try:
            master.incr("w:%d" % i)
        except (redis.exceptions.RedisError, OSError):
            unknown += 1
            time.sleep(0.005)
            continue
        t = time.monotonic()
        if last is not None:
            pause = max(pause, (t - last) * 1000.0)
        last = t
        acked.append(i)
        if len(acked) % 100 == 0:
            sys.stdout.write("count %d\n" % len(acked))
            sys.stdout.flush()
    sys.stdout.write(json.dumps({"acked": acked, "unknown": unknown, "pauseMs": pause, "pauseEndMs": 0}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
