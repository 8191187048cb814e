#!/bin/sh
# Entry point of the tssentinel image (docker-compose.yml's Sentinels).
#
# The Sentinel keeps its state in $TSS_DATA_DIR/sentinel.conf (a volume). The
# environment is applied on every start, not only the first: the template's
# lines (port, bind, announce-ip/port, quorum, down-after, failover-timeout,
# parallel-syncs, ...) are regenerated, replacing the same directives in the
# persisted file in place, while everything else the Sentinel wrote stays:
# myid, current-epoch, config-epoch, leader-epoch, known-replica,
# known-sentinel, runtime changes, and the master address on the monitor line
# (after a failover it is the promoted replica, not the file's master; only
# the quorum is taken from the environment).
#
# Environment:
#   SENTINEL_PORT            port to listen on and announce (26379)
#   TSS_ANNOUNCE_IP          address clients and peers reach this Sentinel at (127.0.0.1)
#   TSS_BIND                 addresses to bind, space separated (127.0.0.1)
#   TSS_MASTER_NAME          (mymaster)
#   TSS_MASTER_HOST/PORT     the master in the file, used on the first start (TSS_ANNOUNCE_IP, 6379)
#   TSS_QUORUM (2)  TSS_DOWN_AFTER_MS (5000)  TSS_FAILOVER_TIMEOUT_MS (60000)  TSS_PARALLEL_SYNCS (1)
#   TSS_DATA_DIR             where sentinel.conf lives (/data)
#   SENTINEL_TEMPLATE        the template (/app/conf/docker/sentinel.conf)
#   TSS_SENTINEL_CMD         command that runs the Sentinel (node ... /app/dist/cli.js)
# Older names ANNOUNCE_IP, MASTER_HOST and QUORUM are still read as fallbacks.
# Arguments are passed on to tssentinel.
set -eu
APP="${TSS_APP_DIR:-/app}"
TEMPLATE="${SENTINEL_TEMPLATE:-$APP/conf/docker/sentinel.conf}"
DATA="${TSS_DATA_DIR:-/data}"
CONF="$DATA/sentinel.conf"
PORT="${SENTINEL_PORT:-26379}"
ANNOUNCE_IP="${TSS_ANNOUNCE_IP:-${ANNOUNCE_IP:-127.0.0.1}}"
NAME="${TSS_MASTER_NAME:-mymaster}"
CMD="${TSS_SENTINEL_CMD:-node --max-semi-space-size=1 $APP/dist/cli.js}"
log() { echo "tssentinel-entrypoint: $*" >&2; }

NEW="$DATA/.sentinel.conf.entrypoint-$$"
sed -e "s|@PORT@|$PORT|g" \
    -e "s|@BIND@|${TSS_BIND:-127.0.0.1}|g" \
    -e "s|@ANNOUNCE_IP@|$ANNOUNCE_IP|g" \
    -e "s|@MASTER_NAME@|$NAME|g" \
    -e "s|@MASTER_HOST@|${TSS_MASTER_HOST:-${MASTER_HOST:-$ANNOUNCE_IP}}|g" \
    -e "s|@MASTER_PORT@|${TSS_MASTER_PORT:-6379}|g" \
    -e "s|@QUORUM@|${TSS_QUORUM:-${QUORUM:-2}}|g" \
    -e "s|@DOWN_AFTER_MS@|${TSS_DOWN_AFTER_MS:-5000}|g" \
    -e "s|@FAILOVER_TIMEOUT_MS@|${TSS_FAILOVER_TIMEOUT_MS:-60000}|g" \
    -e "s|@PARALLEL_SYNCS@|${TSS_PARALLEL_SYNCS:-1}|g" \
    "$TEMPLATE" > "$NEW.filled"

if [ ! -s "$CONF" ]; then
  mv "$NEW.filled" "$CONF"
  log "first start: wrote $CONF from the template"
else
  # key: "port", "sentinel announce-ip", "sentinel down-after-milliseconds <name>", ...
  # Pass 1 (filled template): the managed lines by key. Pass 2 (persisted
  # file): which keys it has. Pass 3: print it with each managed line replaced
  # at its first occurrence (later duplicates dropped); the monitor line keeps
  # its address and takes the quorum; managed lines the file lacks go at the
  # top (global ones) or right after the monitor line (per-master ones).
  awk -v name="$NAME" '
    function key(   k) {
      if ($1 != "sentinel") return $1
      k = "sentinel " $2
      if ($2 == "monitor" || $2 == "down-after-milliseconds" || $2 == "failover-timeout" || $2 == "parallel-syncs") k = k " " $3
      return k
    }
    FNR == 1 { file++ }
    /^[ \t]*(#|$)/ { if (file == 3) print; next }
    file == 1 {
      k = key(); line[k] = $0; order[++n] = k
      if ($2 == "monitor") { mon = k; quorum = $6 }
      permaster[k] = ($3 == name && $2 != "monitor"); next
    }
    file == 2 { have[key()] = 1; next }
    !top {
      top = 1
      for (i = 1; i <= n; i++) { k = order[i]; if (!have[k] && k != mon && !permaster[k]) { print line[k]; done[k] = 1 } }
      if (!have[mon]) {
        print line[mon]; done[mon] = 1
        for (i = 1; i <= n; i++) if (permaster[order[i]]) { print line[order[i]]; done[order[i]] = 1 }
      }
    }
    {
      k = key()
      if (!(k in line)) { print; next }
      if (done[k]) next
      done[k] = 1
      if (k == mon) {
        print "sentinel monitor " name " " $4 " " $5 " " quorum
        for (i = 1; i <= n; i++) if (permaster[order[i]] && !have[order[i]]) { print line[order[i]]; done[order[i]] = 1 }
        next
      }
      print line[k]
    }
  ' "$NEW.filled" "$CONF" "$CONF" > "$NEW"
  rm -f "$NEW.filled"
  mv "$NEW" "$CONF"
  log "applied the environment to $CONF (persisted state kept)"
fi
# shellcheck disable=SC2086
exec $CMD "$CONF" "$@"
