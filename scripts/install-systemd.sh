#!/usr/bin/env bash
# Installs tssentinel as a systemd service from this (built) source tree:
#   - the `tssentinel` system user and group (no login, no home),
#   - the package in $PREFIX (default /opt/tssentinel, root-owned): the
#     `npm pack` contents (dist, conf, package.json, README) plus the
#     production dependencies copied from this tree's node_modules (the ones
#     `npm ls --omit=dev` lists, i.e. exactly the locked versions; no
#     network needed). Staged next to the target and swapped in by rename.
#   - $CONFDIR (default /etc/tssentinel, tssentinel:tssentinel 750) and
#     $CONFDIR/sentinel.conf from conf/sentinel.conf, mode 640, only if it
#     does not exist (an existing config is never overwritten: it holds the
#     Sentinel's state),
#   - conf/systemd/tssentinel.service into $UNITDIR (paths and the node binary
#     substituted when they differ from the defaults), then
#     `systemctl daemon-reload` and `systemctl enable tssentinel` (add
#     --now to start it) when systemd runs and DESTDIR is empty.
#
# Options (or the same-named environment variables):
#   --destdir DIR   install under DIR (staging / tests); systemctl is skipped
#   --prefix DIR    package directory          (default /opt/tssentinel)
#   --confdir DIR   config directory           (default /etc/tssentinel)
#   --unitdir DIR   unit directory             (default /etc/systemd/system)
#   --node PATH     node binary for ExecStart  (default: `command -v node`)
#   --user NAME     service user               (default tssentinel)
#   --no-user       do not create the user (and do not chown)
#   --now           also start the service (systemctl enable --now)
# The user is created in the system's user database even with --destdir
# (there is no other place a running service could find it); not as non-root.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/opt/tssentinel}"
CONFDIR="${CONFDIR:-/etc/tssentinel}"
UNITDIR="${UNITDIR:-/etc/systemd/system}"
NODE_BIN="${NODE_BIN:-$(command -v node || echo /usr/bin/node)}"
SVC_USER="${SVC_USER:-tssentinel}"
CREATE_USER=yes
START_NOW=no
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) DESTDIR="$2"; shift 2 ;;
    --prefix) PREFIX="$2"; shift 2 ;;
    --confdir) CONFDIR="$2"; shift 2 ;;
    --unitdir) UNITDIR="$2"; shift 2 ;;
    --node) NODE_BIN="$2"; shift 2 ;;
    --user) SVC_USER="$2"; shift 2 ;;
    --no-user) CREATE_USER=no; shift ;;
    --now) START_NOW=yes; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-systemd: unknown option $1" >&2; exit 2 ;;
  esac
done
for d in "$PREFIX" "$CONFDIR" "$UNITDIR"; do
  case "$d" in /*) ;; *) echo "install-systemd: $d must be an absolute path" >&2; exit 2 ;; esac
done
say() { echo "install-systemd: $*"; }
IS_ROOT=no; [ "$(id -u)" -eq 0 ] && IS_ROOT=yes

[ -f "$SRC/dist/cli.js" ] || { echo "install-systemd: $SRC/dist/cli.js missing: run npm ci && npm run build first" >&2; exit 1; }
[ -d "$SRC/node_modules" ] || { echo "install-systemd: $SRC/node_modules missing: run npm ci first" >&2; exit 1; }

# 1. User.
OWNER=""
if [ "$CREATE_USER" = yes ] && [ "$IS_ROOT" = yes ]; then
  if ! getent passwd "$SVC_USER" >/dev/null; then
    nologin="$(command -v nologin || echo /usr/sbin/nologin)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell "$nologin" --comment "tssentinel Redis Sentinel" "$SVC_USER" \
      || getent passwd "$SVC_USER" >/dev/null   # lost a race with another installer
    say "created system user $SVC_USER"
  fi
  OWNER="$SVC_USER:$(id -gn "$SVC_USER")"
elif [ "$CREATE_USER" = yes ]; then
  say "not root: user $SVC_USER not created, files not chowned"
fi

# 2. Package, staged then swapped in.
TARGET="$DESTDIR$PREFIX"
mkdir -p "$(dirname "$TARGET")"
STAGE="$(mktemp -d "$TARGET.new.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
( cd "$SRC" && npm pack --silent --pack-destination "$STAGE" >/dev/null )
tar -xzf "$STAGE"/tssentinel-*.tgz -C "$STAGE" && rm -f "$STAGE"/tssentinel-*.tgz
mv "$STAGE/package" "$STAGE/pkg"
cp "$SRC/package-lock.json" "$STAGE/pkg/"
( cd "$SRC" && npm ls --omit=dev --all --parseable 2>/dev/null || true ) | while IFS= read -r dir; do
  [ "$dir" = "$SRC" ] && continue
  rel="${dir#"$SRC"/}"
  mkdir -p "$STAGE/pkg/$(dirname "$rel")"
  [ -e "$STAGE/pkg/$rel" ] || cp -a "$dir" "$STAGE/pkg/$rel"
done
# Smoke check: the staged package starts and resolves its dependencies.
( cd "$STAGE/pkg" && "$NODE_BIN" -e 'const p = require("./package.json"); for (const d of Object.keys(p.dependencies || {})) if (!require("fs").existsSync("node_modules/" + d + "/package.json")) { console.error("missing " + d); process.exit(1); }' ) \
  || { echo "install-systemd: production dependencies missing in the staged package" >&2; exit 1; }
"$NODE_BIN" "$STAGE/pkg/dist/cli.js" --version >/dev/null \
  || { echo "install-systemd: the staged package does not start" >&2; exit 1; }
chmod -R u=rwX,go=rX "$STAGE/pkg"
[ "$IS_ROOT" = yes ] && chown -R 0:0 "$STAGE/pkg"
chmod 755 "$STAGE/pkg/dist/cli.js"
if [ -e "$TARGET" ]; then mv "$TARGET" "$STAGE/old"; fi
mv "$STAGE/pkg" "$TARGET"
say "installed package into $TARGET"

# 3. Config directory and file (never overwritten).
CONF_TARGET="$DESTDIR$CONFDIR"
mkdir -p "$CONF_TARGET"
chmod 750 "$CONF_TARGET"
if [ -e "$CONF_TARGET/sentinel.conf" ]; then
  say "kept existing $CONF_TARGET/sentinel.conf"
else
  install -m 640 "$SRC/conf/sentinel.conf" "$CONF_TARGET/sentinel.conf"
  say "installed $CONF_TARGET/sentinel.conf"
fi
if [ -n "$OWNER" ]; then
  chown "$OWNER" "$CONF_TARGET" "$CONF_TARGET/sentinel.conf"
fi

# 4. Unit.
UNIT_TARGET="$DESTDIR$UNITDIR"
mkdir -p "$UNIT_TARGET"
sed -e "s#/opt/tssentinel#$PREFIX#g" \
    -e "s#/etc/tssentinel#$CONFDIR#g" \
    -e "s#^ExecStart=/usr/bin/node #ExecStart=$NODE_BIN #" \
    -e "s#^User=tssentinel\$#User=$SVC_USER#" \
    -e "s#^Group=tssentinel\$#Group=$SVC_USER#" \
    "$SRC/conf/systemd/tssentinel.service" > "$UNIT_TARGET/tssentinel.service.tmp"
chmod 644 "$UNIT_TARGET/tssentinel.service.tmp"
mv "$UNIT_TARGET/tssentinel.service.tmp" "$UNIT_TARGET/tssentinel.service"
say "installed $UNIT_TARGET/tssentinel.service"

# 5. systemctl.
if [ -n "$DESTDIR" ]; then
  say "DESTDIR set: skipped systemctl daemon-reload / enable"
elif [ ! -d /run/systemd/system ]; then
  say "systemd is not running here: skipped systemctl daemon-reload / enable tssentinel; run them once systemd runs"
else
  systemctl daemon-reload
  if [ "$START_NOW" = yes ]; then systemctl enable --now tssentinel; else systemctl enable tssentinel; fi
  say "enabled tssentinel.service"
fi
