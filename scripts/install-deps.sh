#!/usr/bin/env bash
# Installs what tssentinel's tests need on a fresh Debian machine: Redis from
# Debian (the servers the tests start and the real redis-sentinel used as
# oracle and rival), systemd (for `systemd-analyze verify` on the unit; systemd
# need not run) and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq redis-server redis-sentinel redis-tools systemd iproute2 iptables faketime iputils-arping python3-redis openssl >/dev/null
# kubectl (Debian's kubernetes-client) lets test/unit/kubernetes.test.ts compare
# its kustomize rendering with `kubectl kustomize`; without it that one check
# is skipped. Skipped when some kubectl is already installed (another package
# may own /usr/bin/kubectl), and never fatal.
if ! command -v kubectl >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq kubernetes-client >/dev/null || echo "kubernetes-client not installed: the kubectl kustomize comparison will be skipped" >&2
fi
npm ci --no-audit --no-fund --loglevel=error
