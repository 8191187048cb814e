#!/usr/bin/env bash
# Installs what tssentinel's tests need on a fresh Debian machine: Redis from
# Debian (the servers the tests start and the real redis-sentinel used as
# oracle and rival) and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq redis-server redis-sentinel redis-tools iproute2 iptables faketime iputils-arping python3-redis openssl >/dev/null
npm ci --no-audit --no-fund --loglevel=error
