#!/bin/sh
# notify.sh: an example Sentinel notification-script.
#
#   sentinel notification-script mymaster /path/to/notify.sh
#
# The Sentinel runs it for every warning-level event (+sdown, +odown,
# +switch-master, +tilt, ...) with two arguments:
#   <event-type> <event-description>
# e.g. `+switch-master` `mymaster 10.0.0.11 6379 10.0.0.12 6379`.
#
# It appends one line `<UTC time> <event-type> <event-description>` to a log
# file and, when a webhook URL is set, POSTs the event as JSON with curl:
#   {"time":"...","event":"+switch-master","description":"...","host":"..."}
#
# Configuration: environment variables (inherited from the Sentinel), or a
# file `notify.conf` next to this script / named by $NOTIFY_CONF with lines
# `log-file <path>`, `webhook-url <url>`, `webhook-timeout <seconds>`,
# `webhook-strict yes|no`; the environment wins over the file.
#   NOTIFY_LOG_FILE         default /var/log/tssentinel/notify.log, or
#                           ${TMPDIR:-/tmp}/tssentinel-notify.log when that
#                           directory is not writable
#   NOTIFY_WEBHOOK_URL      default none (no network use)
#   NOTIFY_WEBHOOK_TIMEOUT  seconds, default 5
#   NOTIFY_WEBHOOK_STRICT   yes: exit 1 when the webhook fails so that the
#                           Sentinel retries (the log line is then written
#                           again on each retry); default no
#
# Exit status: 0 done; 1 transient failure (log file not writable, or the
# webhook failed in strict mode; the Sentinel retries); 2 bad arguments.
set -eu

if [ "$#" -ne 2 ]; then
    printf '%s\n' "usage: $0 <event-type> <event-description>" >&2
    exit 2
fi
EVENT=$1
DESCRIPTION=$2

CONF_FILE="${NOTIFY_CONF:-$(dirname "$0")/notify.conf}"
C_LOG='' C_URL='' C_TIMEOUT='' C_STRICT=''
if [ -r "$CONF_FILE" ]; then
    while IFS= read -r _raw || [ -n "$_raw" ]; do
        # Leading blanks off, then `<directive> <value>`.
        _line=$(printf '%s' "$_raw" | sed 's/^[[:space:]]*//')
        _key=${_line%%[[:space:]]*}
        _value=$(printf '%s' "${_line#"$_key"}" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
        case "$_key" in
        '' | '#'*) ;;
        log-file) C_LOG=$_value ;;
        webhook-url) C_URL=$_value ;;
        webhook-timeout) C_TIMEOUT=$_value ;;
        webhook-strict) C_STRICT=$_value ;;
        *) printf '%s\n' "$0: $CONF_FILE: unknown directive '$_key' (ignored)" >&2 ;;
        esac
    done <"$CONF_FILE"
fi

if [ -n "${NOTIFY_LOG_FILE:-$C_LOG}" ]; then
    LOG_FILE="${NOTIFY_LOG_FILE:-$C_LOG}"
elif [ -d /var/log/tssentinel ] && [ -w /var/log/tssentinel ]; then
    LOG_FILE=/var/log/tssentinel/notify.log
else
    LOG_FILE="${TMPDIR:-/tmp}/tssentinel-notify.log"
fi
URL="${NOTIFY_WEBHOOK_URL:-$C_URL}"
TIMEOUT="${NOTIFY_WEBHOOK_TIMEOUT:-${C_TIMEOUT:-5}}"
STRICT="${NOTIFY_WEBHOOK_STRICT:-${C_STRICT:-no}}"

NOW=$(date -u '+%Y-%m-%dT%H:%M:%SZ')
# One event, one line: newlines in the description would split it.
ONE_LINE=$(printf '%s' "$DESCRIPTION" | tr '\r\n' '  ')

if ! printf '%s %s %s\n' "$NOW" "$EVENT" "$ONE_LINE" >>"$LOG_FILE"; then
    printf '%s\n' "$0: cannot append to $LOG_FILE" >&2
    exit 1
fi

[ -n "$URL" ] || exit 0

if ! command -v curl >/dev/null 2>&1; then
    printf '%s webhook skipped: curl not installed\n' "$NOW" >>"$LOG_FILE" || true
    exit 0
fi

# JSON string escaping for the characters that can occur here: \ " and tabs
# (newlines were turned into spaces above).
json() {
    printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g; s/	/\\t/g'
}
BODY=$(printf '{"time":"%s","event":"%s","description":"%s","host":"%s"}' \
    "$NOW" "$(json "$EVENT")" "$(json "$ONE_LINE")" "$(json "$(uname -n)")")

if OUT=$(curl -fsS -m "$TIMEOUT" -X POST -H 'Content-Type: application/json' --data-binary "$BODY" "$URL" 2>&1 >/dev/null); then
    exit 0
fi
printf '%s webhook %s failed: %s\n' "$NOW" "$URL" "$(printf '%s' "$OUT" | tr '\n' ' ')" >>"$LOG_FILE" || true
if [ "$STRICT" = yes ]; then
    exit 1
fi
exit 0
