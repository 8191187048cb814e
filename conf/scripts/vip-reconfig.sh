#!/bin/sh
# vip-reconfig.sh: a Sentinel client-reconfig-script that moves a virtual IP
# (VIP) to the host of the new master, keepalived-style.
#
#   sentinel client-reconfig-script mymaster /path/to/vip-reconfig.sh
#
# The Sentinel calls it with seven arguments:
#   <master-name> <role> <state> <from-ip> <from-port> <to-ip> <to-port>
#
# What it does, when it acts (see "When it acts" below):
#   1. (optional) checks with redis-cli that <to-ip>:<to-port> does not report
#      itself a replica: a late retry of an old failover must not take the
#      VIP away from a newer master;
#   2. removes the VIP from the old master's host   (ip addr del), if there;
#   3. adds the VIP on the new master's host         (ip addr add), if absent;
#   4. sends gratuitous ARP from the new host (arping -U), IPv4 only; skipped
#      with a log line when arping is missing or fails.
# Every step checks first, so running it twice changes nothing the second
# time (idempotent), and runs are serialised with flock when it exists.
#
# When it acts: for state "start" and role "leader" by default.
#   - Sentinel (redis-sentinel 7.0 and tssentinel alike) only ever calls the
#     script with state "start": on the leader right after the replica is
#     promoted (it already accepts writes), on observers when the new
#     configuration reaches them. "end"/"abort" are accepted for other
#     callers.
#   - Only the leader of the failover acts, so exactly one Sentinel moves
#     the VIP instead of every Sentinel racing to do the same thing.
#   The price: if the leader dies right after the promotion, nobody moves
#   the VIP. To trade that for redundant (but idempotent) moves, set
#   `roles leader observer`.
#
# Exit status (the Sentinel retries a script that exits 1, up to 10 times
# with a growing delay; other codes are final):
#   0  done, or nothing to do (role/state ignored, VIP already in place)
#   1  transient failure: the VIP could not be added on the new host, or not
#      removed from the old host (e.g. unreachable); a retry finishes the job
#   2  bad arguments or bad configuration: retrying would not help
#
# Configuration: a file `vip-reconfig.conf` next to this script, or the file
# named by $VIP_CONF (see vip-reconfig.conf.example), and/or environment
# variables (inherited from the Sentinel's environment), which win over the
# file:
#   file directive                  env var               default
#   vip <address>/<prefix>          VIP_ADDRESS           (required)
#   interface <ifname>              VIP_INTERFACE         (required unless
#                                                          every host has
#                                                          host-interface)
#   host <redis-addr> <prefix...>   VIP_HOSTS             (required)
#   host-interface <redis-addr> <ifname>
#   roles <leader|observer ...>     VIP_ROLES             leader
#   states <start|end|abort ...>    VIP_STATES            start
#   log-file <path>                 VIP_LOG_FILE          syslog (logger)
#   garp yes|no                     VIP_GARP              yes
#   arp-count <n>                   VIP_ARP_COUNT         1
#   check-new-master yes|no         VIP_CHECK_NEW_MASTER  yes
#   command-timeout <seconds>       VIP_COMMAND_TIMEOUT   10
#   lock-file <path>                VIP_LOCK_FILE         /run/lock/tssentinel-vip-reconfig.lock
#                                                         (/tmp/... when /run/lock is absent)
#
# Host mapping: `host <redis-addr> <command prefix...>` says how to run a
# command on the machine where the Redis at <redis-addr> lives.
# <redis-addr> is `ip:port` (`[ipv6]:port`) or just `ip`; the most specific
# entry wins, then the first one. The prefix is put in front of each `ip` /
# `arping` command, split on blanks (no quoting):
#   host 10.0.0.11      ssh -o BatchMode=yes -o ConnectTimeout=3 root@10.0.0.11
#   host 10.0.0.12      local                   (run here, no prefix)
#   host 127.0.0.1:6380 ip netns exec redis-b   (a network namespace)
#   host 10.0.0.13      sudo -n                 (here, with privileges)
# VIP_HOSTS holds the same `<redis-addr> <prefix...>` entries separated by
# newlines or ';', checked before the file's.
#
# redis-cli for the check honours REDISCLI_AUTH for a password; if redis-cli
# is missing or cannot get an answer (TLS, ACL, ...), the check is skipped.
set -eu
set -f # no globbing: host prefixes are split on blanks on purpose
PATH="${PATH:-/usr/bin:/bin}:/usr/sbin:/sbin:/usr/bin:/bin"

ME=vip-reconfig
USAGE="usage: $0 <master-name> <role> <state> <from-ip> <from-port> <to-ip> <to-port>"

# ---------------------------------------------------------------- logging

LOG_FILE=''
log() {
    _line="$(date -u '+%Y-%m-%dT%H:%M:%SZ') ${ME}[$$] $*"
    printf '%s\n' "$_line" >&2
    if [ -n "$LOG_FILE" ]; then
        printf '%s\n' "$_line" >>"$LOG_FILE" || true
    elif command -v logger >/dev/null 2>&1; then
        logger -t "tssentinel-$ME" -- "$*" 2>/dev/null || true
    fi
}

die() { # <exit-code> <message...>
    _code=$1
    shift
    log "ERROR: $*"
    exit "$_code"
}

# ---------------------------------------------------------------- arguments

if [ "$#" -ne 7 ]; then
    LOG_FILE="${VIP_LOG_FILE:-}"
    die 2 "expected 7 arguments, got $#. $USAGE"
fi
MASTER=$1 ROLE=$2 STATE=$3 FROM_IP=$4 FROM_PORT=$5 TO_IP=$6 TO_PORT=$7

# ---------------------------------------------------------------- config

NL='
'
CONF_FILE="${VIP_CONF:-$(dirname "$0")/vip-reconfig.conf}"
C_VIP='' C_IF='' C_ROLES='' C_STATES='' C_LOG='' C_GARP='' C_ARP_COUNT=''
C_CHECK='' C_TIMEOUT='' C_LOCK=''
HOST_MAP='' HOST_IF_MAP=''
CONF_ERRORS=''

conf_error() { CONF_ERRORS="${CONF_ERRORS}${CONF_ERRORS:+; }$*"; }

# One `<key> <value...>` entry appended to a newline-separated map.
map_add() { # <map-name> <where> <words...>
    _map=$1 _where=$2
    shift 2
    if [ "$#" -lt 2 ]; then
        conf_error "$_where: expected <redis-addr> <value...>"
        return 0
    fi
    _key=$1
    shift
    eval "_old=\${$_map}"
    # shellcheck disable=SC2154 # _old is set by the eval above
    eval "$_map=\${_old}\${_old:+\$NL}\$_key' '\$*"
}

if [ -n "${VIP_CONF:-}" ] && [ ! -r "$CONF_FILE" ]; then
    LOG_FILE="${VIP_LOG_FILE:-}"
    die 2 "VIP_CONF=$VIP_CONF is not a readable file"
fi
if [ -r "$CONF_FILE" ]; then
    _n=0
    while IFS= read -r _raw || [ -n "$_raw" ]; do
        _n=$((_n + 1))
        # shellcheck disable=SC2086 # split into words on purpose (globbing is off)
        set -- $_raw
        [ "$#" -eq 0 ] && continue
        case "$1" in '#'*) continue ;; esac
        _dir=$1
        shift
        _at="$CONF_FILE:$_n"
        case "$_dir" in
        vip) C_VIP="$*" ;;
        interface) C_IF="$*" ;;
        host) map_add HOST_MAP "$_at" "$@" ;;
        host-interface) map_add HOST_IF_MAP "$_at" "$@" ;;
        roles) C_ROLES="$*" ;;
        states) C_STATES="$*" ;;
        log-file) C_LOG="$*" ;;
        garp) C_GARP="$*" ;;
        arp-count) C_ARP_COUNT="$*" ;;
        check-new-master) C_CHECK="$*" ;;
        command-timeout) C_TIMEOUT="$*" ;;
        lock-file) C_LOCK="$*" ;;
        *) conf_error "$_at: unknown directive '$_dir'" ;;
        esac
    done <"$CONF_FILE"
fi

# Environment wins over the file; VIP_HOSTS entries are checked first.
VIP="${VIP_ADDRESS:-$C_VIP}"
IFACE="${VIP_INTERFACE:-$C_IF}"
ROLES="${VIP_ROLES:-${C_ROLES:-leader}}"
STATES="${VIP_STATES:-${C_STATES:-start}}"
LOG_FILE="${VIP_LOG_FILE:-$C_LOG}"
GARP="${VIP_GARP:-${C_GARP:-yes}}"
ARP_COUNT="${VIP_ARP_COUNT:-${C_ARP_COUNT:-1}}"
CHECK_NEW_MASTER="${VIP_CHECK_NEW_MASTER:-${C_CHECK:-yes}}"
CMD_TIMEOUT="${VIP_COMMAND_TIMEOUT:-${C_TIMEOUT:-10}}"
if [ -d /run/lock ] && [ -w /run/lock ]; then _lockdir=/run/lock; else _lockdir="${TMPDIR:-/tmp}"; fi
LOCK_FILE="${VIP_LOCK_FILE:-${C_LOCK:-$_lockdir/tssentinel-vip-reconfig.lock}}"
if [ -n "${VIP_HOSTS:-}" ]; then
    _env_map=''
    _entries=$(printf '%s\n' "$VIP_HOSTS" | tr ';' '\n')
    _old_ifs=$IFS
    IFS=$NL
    for _e in $_entries; do
        IFS=$_old_ifs
        # shellcheck disable=SC2086 # split into words on purpose (globbing is off)
        [ -n "$(printf '%s' "$_e" | tr -d ' \t')" ] && map_add _env_map VIP_HOSTS $_e
    done
    IFS=$_old_ifs
    HOST_MAP="${_env_map}${HOST_MAP:+${_env_map:+$NL}}${HOST_MAP}"
fi

# ---------------------------------------------------------------- validation

case "$ROLE" in leader | observer) ;; *) die 2 "role must be leader or observer, got '$ROLE'. $USAGE" ;; esac
case "$STATE" in start | end | abort) ;; *) die 2 "state must be start, end or abort, got '$STATE'. $USAGE" ;; esac
for _p in "$FROM_PORT" "$TO_PORT"; do
    case "$_p" in '' | *[!0-9]*) die 2 "port must be a number, got '$_p'. $USAGE" ;; esac
done
if [ -z "$MASTER" ] || [ -z "$FROM_IP" ] || [ -z "$TO_IP" ]; then die 2 "empty argument. $USAGE"; fi

in_list() { # <word> <list>
    case " $2 " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}
if ! in_list "$ROLE" "$ROLES" || ! in_list "$STATE" "$STATES"; then
    log "$MASTER: $ROLE/$STATE $FROM_IP:$FROM_PORT -> $TO_IP:$TO_PORT: nothing to do (acting on roles '$ROLES', states '$STATES')"
    exit 0
fi

[ -z "$CONF_ERRORS" ] || die 2 "bad configuration: $CONF_ERRORS"
[ -n "$VIP" ] || die 2 "no VIP configured (vip <address>/<prefix> in $CONF_FILE, or VIP_ADDRESS)"
case "$VIP" in
*/*) ;;
*) die 2 "VIP '$VIP' needs a prefix length, e.g. $VIP/24" ;;
esac
VIP_ADDR=${VIP%/*}
case "$ARP_COUNT" in '' | *[!0-9]*) die 2 "arp-count must be a number, got '$ARP_COUNT'" ;; esac
case "$CMD_TIMEOUT" in '' | *[!0-9]*) die 2 "command-timeout must be a number of seconds, got '$CMD_TIMEOUT'" ;; esac

# ---------------------------------------------------------------- host lookup

# Candidate keys for a Redis address, most specific first.
addr_keys() { # <ip> <port>
    case "$1" in
    *:*) printf '[%s]:%s\n%s\n' "$1" "$2" "$1" ;;
    *) printf '%s:%s\n%s\n' "$1" "$2" "$1" ;;
    esac
}

# Prints the value of the first entry of a map matching <ip>:<port> or <ip>.
lookup() { # <map-content> <ip> <port>
    _content=$1
    for _k in $(addr_keys "$2" "$3"); do
        _found=$(printf '%s\n' "$_content" | while IFS= read -r _l; do
            if [ "${_l%% *}" = "$_k" ]; then
                printf '%s\n' "${_l#* }"
                break
            fi
        done)
        if [ -n "$_found" ]; then
            printf '%s\n' "$_found"
            return 0
        fi
    done
    return 1
}

FROM_HOST=$(lookup "$HOST_MAP" "$FROM_IP" "$FROM_PORT") || FROM_HOST=''
TO_HOST=$(lookup "$HOST_MAP" "$TO_IP" "$TO_PORT") ||
    die 2 "no host mapping for the new master $TO_IP:$TO_PORT (host <redis-addr> <prefix...> in $CONF_FILE, or VIP_HOSTS)"
FROM_IF=$(lookup "$HOST_IF_MAP" "$FROM_IP" "$FROM_PORT") || FROM_IF=$IFACE
TO_IF=$(lookup "$HOST_IF_MAP" "$TO_IP" "$TO_PORT") || TO_IF=$IFACE
[ -n "$TO_IF" ] || die 2 "no interface for $TO_IP:$TO_PORT (interface <ifname> or host-interface)"

# ---------------------------------------------------------------- running

TIMEOUT_BIN=''
if command -v timeout >/dev/null 2>&1; then TIMEOUT_BIN=timeout; fi

# Runs a command on a host through its prefix ("local" = no prefix).
run_on() { # <prefix> <command...>
    _prefix=$1
    shift
    [ "$_prefix" = local ] && _prefix=''
    if [ -n "$TIMEOUT_BIN" ]; then
        # shellcheck disable=SC2086 # the prefix is a command line, split on purpose
        "$TIMEOUT_BIN" "$CMD_TIMEOUT" $_prefix "$@"
    else
        # shellcheck disable=SC2086
        $_prefix "$@"
    fi
}

# Exit 0: the VIP is on <if> of that host; 1: it is not; 2: could not tell.
vip_state() { # <prefix> <if>
    if ! _out=$(run_on "$1" ip -o addr show dev "$2" 2>&1); then
        log "could not list addresses of $2 via '$1': $(printf '%s' "$_out" | tr '\n' ' ')"
        return 2
    fi
    case "$_out" in
    *" $VIP_ADDR/"*) return 0 ;;
    *) return 1 ;;
    esac
}

desc="$MASTER: $ROLE/$STATE $FROM_IP:$FROM_PORT -> $TO_IP:$TO_PORT, VIP $VIP"

# Serialise runs: two failovers close together must not interleave.
if command -v flock >/dev/null 2>&1; then
    # Probe in a subshell first: a failed redirection on `exec` ends sh.
    if (: >>"$LOCK_FILE") 2>/dev/null; then
        exec 9>>"$LOCK_FILE"
        flock -w "$((CMD_TIMEOUT * 3))" 9 || die 1 "$desc: another run holds $LOCK_FILE"
    else
        log "cannot open lock file $LOCK_FILE; running without a lock"
    fi
fi

# 1. A stale run (retry of an older failover) must not steal the VIP.
if [ "$CHECK_NEW_MASTER" = yes ]; then
    if command -v redis-cli >/dev/null 2>&1; then
        _role=$(run_on local redis-cli --no-auth-warning -h "$TO_IP" -p "$TO_PORT" ROLE 2>/dev/null | head -n 1) || _role=''
        case "$_role" in
        slave | replica)
            log "$desc: $TO_IP:$TO_PORT reports role $_role, not master: a newer failover happened; leaving the VIP alone"
            exit 0
            ;;
        master) ;;
        *) log "$desc: could not check the role of $TO_IP:$TO_PORT (got '$_role'); going on" ;;
        esac
    else
        log "$desc: redis-cli not found, new master's role not checked"
    fi
fi

status=0
summary=''

# 2. Remove from the old master's host.
if [ -z "$FROM_HOST" ]; then
    log "$desc: no host mapping for the old master $FROM_IP:$FROM_PORT; cannot remove the VIP there"
    status=2
    summary="old: unmapped"
elif [ "$FROM_HOST" = "$TO_HOST" ] && [ "$FROM_IF" = "$TO_IF" ]; then
    summary="old: same host as new"
elif [ -z "$FROM_IF" ]; then
    log "$desc: no interface for the old master $FROM_IP:$FROM_PORT"
    status=2
    summary="old: no interface"
else
    _rc=0
    vip_state "$FROM_HOST" "$FROM_IF" || _rc=$?
    case $_rc in
    0)
        if _out=$(run_on "$FROM_HOST" ip addr del "$VIP" dev "$FROM_IF" 2>&1); then
            log "$desc: removed $VIP from $FROM_IF via '$FROM_HOST'"
            summary="old: removed"
        elif vip_state "$FROM_HOST" "$FROM_IF"; then
            log "$desc: ip addr del $VIP dev $FROM_IF via '$FROM_HOST' failed: $(printf '%s' "$_out" | tr '\n' ' ')"
            status=1
            summary="old: del failed"
        else
            summary="old: removed (concurrently)"
        fi
        ;;
    1) summary="old: absent" ;;
    *)
        log "$desc: old host unreachable or broken ('$FROM_HOST'); will retry to remove the VIP there"
        status=1
        summary="old: unreachable"
        ;;
    esac
fi

# 3. Add on the new master's host.
_rc=0
vip_state "$TO_HOST" "$TO_IF" || _rc=$?
case $_rc in
0) summary="$summary, new: already present" ;;
1)
    if _out=$(run_on "$TO_HOST" ip addr add "$VIP" dev "$TO_IF" 2>&1); then
        log "$desc: added $VIP on $TO_IF via '$TO_HOST'"
        summary="$summary, new: added"
    elif vip_state "$TO_HOST" "$TO_IF"; then
        summary="$summary, new: added (concurrently)"
    else
        die 1 "$desc: ip addr add $VIP dev $TO_IF via '$TO_HOST' failed: $(printf '%s' "$_out" | tr '\n' ' ')"
    fi
    ;;
*) die 1 "$desc: cannot reach the new master's host via '$TO_HOST'" ;;
esac

# 4. Tell the LAN (even when the VIP was already there: a retry re-announces).
if [ "$GARP" != yes ]; then
    summary="$summary, garp: off"
else
    case "$VIP_ADDR" in
    *:*)
        log "$desc: IPv6 VIP: no unsolicited neighbour advertisement sent by this script (the kernel's DAD / ndisc_notify apply)"
        summary="$summary, garp: n/a (IPv6)"
        ;;
    *)
        if _out=$(run_on "$TO_HOST" arping -q -U -c "$ARP_COUNT" -I "$TO_IF" "$VIP_ADDR" 2>&1); then
            log "$desc: gratuitous ARP sent for $VIP_ADDR on $TO_IF"
            summary="$summary, garp: sent"
        else
            log "$desc: gratuitous ARP skipped: arping -U failed or is not installed on that host (iputils-arping): $(printf '%s' "$_out" | tr '\n' ' ')"
            summary="$summary, garp: skipped"
        fi
        ;;
    esac
fi

log "$desc: done ($summary), exit $status"
exit "$status"
