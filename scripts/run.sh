#!/usr/bin/env bash
# Installs (once) and starts tssentinel on a fresh Debian machine.
#
#   bash scripts/run.sh                  the playground: a Redis master, two
#                                        replicas and three Sentinels on
#                                        127.0.0.1 (free ports), ready to fail
#                                        over, with a live view
#                                        (k kill the master, r restart it,
#                                        f SENTINEL FAILOVER, q quit)
#   bash scripts/run.sh my-sentinel.conf [--port N ...]
#                                        one Sentinel on your own config (it
#                                        persists its state into that file)
#   bash scripts/run.sh --bundled        one Sentinel on conf/sentinel.conf,
#                                        copied to var/sentinel.conf (it
#                                        watches 127.0.0.1:6379; edit the
#                                        copy to point it at your Redis)
#
# Redis comes from Debian; npm packages are installed and the TypeScript
# built only when missing or out of date, so later starts need no network.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "run.sh: installing Redis from Debian (once)" >&2
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
fi
# npm ci writes node_modules/.package-lock.json: newer than package-lock.json
# means the installed packages are the locked ones.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "run.sh: installing npm packages (once)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -f dist/cli.js ] || [ -n "$(find src package.json tsconfig.json -newer dist/cli.js -print -quit)" ]; then
  echo "run.sh: building (once per change)" >&2
  npm run build --silent
fi

if [ $# -eq 0 ]; then
  exec node dist/cli.js demo
fi
if [ "$1" = "--bundled" ]; then
  shift
  mkdir -p var
  [ -f var/sentinel.conf ] || cp conf/sentinel.conf var/sentinel.conf
  exec node --max-semi-space-size=1 dist/cli.js var/sentinel.conf "$@"
fi
exec node --max-semi-space-size=1 dist/cli.js "$@"
