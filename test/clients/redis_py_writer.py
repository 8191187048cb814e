#!/usr/bin/env python3
"""Writes through redis-py's Sentinel support in a loop, for clients.test.ts.

    python3 redis_py_writer.py --sentinels 127.0.0.1:P1,127.0.0.1:P2 --name mymaster \
        [--key k] [--interval-ms 20] [--max-seconds 60] [--max-writes 5000]

Connects with redis.sentinel.Sentinel([...]).master_for(name) and runs
SET key i every interval, i = 1, 2, ... Prints one JSON object per line on
stdout (times are wall-clock epoch milliseconds, the same clock as Node's
Date.now()):

    {"type": "start", "version": "4.3.4"}
    {"type": "ok", "i": 7, "t": 1700000000123.4}
    {"type": "error", "i": 8, "t": ..., "error": "ConnectionError: ..."}
    {"type": "final", "value": "x", "ok": true, "master": ["127.0.0.1", 12345]}
    {"type": "done", "writes": 123}

Commands on stdin, one a line:
    final <value>   stop the loop, SET key <value> (retried for up to 10 s),
                    print the "final" line with the master Sentinel reports
                    now, and exit
    stop / EOF      stop the loop and exit
The loop is bounded by --max-seconds and --max-writes whatever happens.
"""
import argparse
import json
import queue
import sys
import threading
import time

import redis
from redis.sentinel import Sentinel


def now_ms():
    return time.time() * 1000.0


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def read_stdin(commands):
    for line in sys.stdin:
        commands.put(line.strip())
    commands.put("stop")


def describe(err):
    return "%s: %s" % (type(err).__name__, err)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentinels", required=True)
    parser.add_argument("--name", default="mymaster")
    parser.add_argument("--key", default="k")
    parser.add_argument("--interval-ms", type=float, default=20)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--max-writes", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=0.5)
    args = parser.parse_args()

    sentinels = []
    for item in args.sentinels.split(","):
        host, port = item.rsplit(":", 1)
        sentinels.append((host, int(port)))

    commands = queue.Queue()
    threading.Thread(target=read_stdin, args=(commands,), daemon=True).start()

    sentinel = Sentinel(sentinels, socket_timeout=args.timeout, socket_connect_timeout=args.timeout)
    master = sentinel.master_for(
        args.name, socket_timeout=args.timeout, socket_connect_timeout=args.timeout
    )
    emit({"type": "start", "version": redis.__version__})

    deadline = time.monotonic() + args.max_seconds
    writes = 0
    final_value = None
    while writes < args.max_writes and time.monotonic() < deadline:
        try:
            command = commands.get_nowait()
        except queue.Empty:
            command = None
        if command is not None:
            if command.startswith("final "):
                final_value = command[len("final "):]
            break
        writes += 1
        try:
            master.set(args.key, str(writes))
            emit({"type": "ok", "i": writes, "t": now_ms()})
        except (redis.exceptions.RedisError, OSError) as err:
            emit({"type": "error", "i": writes, "t": now_ms(), "error": describe(err)})
        time.sleep(args.interval_ms / 1000.0)

    if final_value is not None:
        ok = False
        error = None
        final_deadline = time.monotonic() + 10
        while not ok and time.monotonic() < final_deadline:
            try:
                ok = bool(master.set(args.key, final_value))
            except (redis.exceptions.RedisError, OSError) as err:
                error = describe(err)
                time.sleep(0.1)
        try:
            addr = list(sentinel.discover_master(args.name))
        except (redis.exceptions.RedisError, OSError) as err:
            addr = None
            error = describe(err)
        emit({"type": "final", "value": final_value, "ok": ok, "master": addr, "error": error})
    emit({"type": "done", "writes": writes})


if __name__ == "__main__":
    main()
