#!/bin/sh
# Copies the config template into /data on first start (the Sentinel keeps its
# state there across restarts), filling in this container's announced name.
set -eu
TEMPLATE="${SENTINEL_TEMPLATE:-/app/conf/docker/sentinel.conf}"
CONF=/data/sentinel.conf
if [ ! -f "$CONF" ]; then
  sed -e "s/@ANNOUNCE_IP@/${ANNOUNCE_IP:-$(hostname)}/" \
      -e "s/@MASTER_HOST@/${MASTER_HOST:-master}/" \
      -e "s/@QUORUM@/${QUORUM:-2}/" "$TEMPLATE" > "$CONF"
fi
exec node --max-semi-space-size=1 /app/dist/cli.js "$CONF" "$@"
