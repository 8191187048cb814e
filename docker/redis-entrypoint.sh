#!/bin/sh
# Entry point of the Redis containers in docker-compose.yml (mounted read-only
# into the stock redis image; needs only sh, redis-cli, awk and timeout).
#
# A Redis must not come back in the role docker-compose.yml gave it once the
# Sentinels have failed over: after `docker compose down && up` the old master
# would start as a master again, next to the one the Sentinels promoted. So on
# every start it asks the Sentinels (SENTINEL MASTER <name>) for the current
# master, keeps the answer with the highest config-epoch, and starts as that
# master's replica, or as the master when the answer is its own address. Only
# when no Sentinel answers within TSS_SENTINEL_WAIT seconds does it fall back
# to the role in the file (TSS_INITIAL_MASTER).
#
# Environment (all set by docker-compose.yml):
#   REDIS_PORT           port to listen on (host networking: unique per Redis)
#   TSS_ANNOUNCE_IP      address clients and Sentinels reach this host at (127.0.0.1)
#   TSS_BIND             addresses to bind, space separated (127.0.0.1)
#   TSS_MASTER_NAME      master name the Sentinels monitor (mymaster)
#   TSS_SENTINELS        "host:port host:port ..." of the Sentinels
#   TSS_INITIAL_MASTER   host:port of the master in the file (the fallback role)
#   TSS_SENTINEL_WAIT    seconds to wait for a Sentinel to answer (10)
#   REDIS_SERVER, REDIS_CLI  binaries (redis-server, redis-cli)
# Arguments are passed on to redis-server (e.g. --requirepass ... --masterauth ...).
set -eu
: "${REDIS_PORT:?REDIS_PORT must be set}"
ANNOUNCE_IP="${TSS_ANNOUNCE_IP:-127.0.0.1}"
BIND="${TSS_BIND:-127.0.0.1}"
NAME="${TSS_MASTER_NAME:-mymaster}"
SENTINELS="${TSS_SENTINELS:-}"
INITIAL_MASTER="${TSS_INITIAL_MASTER:?TSS_INITIAL_MASTER must be set}"
WAIT="${TSS_SENTINEL_WAIT:-10}"
REDIS_SERVER="${REDIS_SERVER:-redis-server}"
REDIS_CLI="${REDIS_CLI:-redis-cli}"
SELF="$ANNOUNCE_IP:$REDIS_PORT"
log() { echo "tss-redis-entrypoint: $*" >&2; }

# Prints "<ip>:<port> <config-epoch>" for one Sentinel's view, or nothing.
ask() {
  timeout 3 "$REDIS_CLI" -h "${1%:*}" -p "${1##*:}" --raw SENTINEL MASTER "$NAME" 2>/dev/null |
    awk 'NR % 2 == 1 { k = $0; next }
         k == "ip" { ip = $0 } k == "port" { port = $0 } k == "config-epoch" { e = $0 }
         END { if (ip != "" && port ~ /^[0-9]+$/) print ip ":" port, (e ~ /^[0-9]+$/ ? e : 0) }' || true
}

master=""
epoch=-1
tries=0
while [ -n "$SENTINELS" ]; do
  for s in $SENTINELS; do
    view="$(ask "$s")"
    [ -n "$view" ] || continue
    addr="${view% *}"; e="${view##* }"
    log "Sentinel $s: master $addr (config-epoch $e)"
    if [ "$e" -gt "$epoch" ]; then master="$addr"; epoch="$e"; fi
  done
  [ -z "$master" ] || break
  tries=$((tries + 1))
  [ "$tries" -lt "$WAIT" ] || break
  sleep 1
done
if [ -n "$master" ]; then
  log "the Sentinels' master is $master (config-epoch $epoch)"
else
  master="$INITIAL_MASTER"
  log "no Sentinel answered: using the role from the compose file (master $master)"
fi

set -- --port "$REDIS_PORT" --bind $BIND \
  --replica-announce-ip "$ANNOUNCE_IP" --replica-announce-port "$REDIS_PORT" "$@"
if [ "$master" = "$SELF" ]; then
  log "starting $SELF as the master"
  exec "$REDIS_SERVER" "$@"
fi
log "starting $SELF as a replica of $master"
exec "$REDIS_SERVER" "$@" --replicaof "${master%:*}" "${master##*:}"
