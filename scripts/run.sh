#!/usr/bin/env bash
# Installs and starts a Sentinel with the bundled config on a fresh Debian
# machine. The config is copied to var/ (tssentinel persists its state into
# it); delete var/sentinel.conf to start from the bundled one again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v redis-server >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
mkdir -p var
[ -f var/sentinel.conf ] || cp conf/sentinel.conf var/sentinel.conf
exec node --max-semi-space-size=1 dist/cli.js var/sentinel.conf "$@"
