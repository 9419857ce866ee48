#!/usr/bin/env bash
# Builds a three-layer OCI image from the busybox rootfs (out/rootfs, made by build.sh),
# with umoci (the layers and config) and skopeo (the archive). The image tests load it.
#
#   layer 1  the busybox rootfs + /etc/fixture-version ("1") + /etc/fixture-removed
#   layer 2  /etc/fixture-version becomes "2", /etc/fixture-added appears
#   layer 3  /etc/fixture-removed is deleted (an OCI whiteout, .wh.fixture-removed)
#   config   Cmd ["sh"], Env PATH, a label, ExposedPorts 80/tcp, WorkingDir /
#
#   out/image/       the OCI image layout, tag "fixture:3layers"
#   out/image.tar    the same as an oci-archive (skopeo copy)
#
# Rebuilds only when rootfs.tar or this script changes (a stamp of both sha256s).
set -euo pipefail

HERE=$(dirname "$(readlink -f "$0")")
OUT=$HERE/out
LAYOUT=$OUT/image
ARCHIVE=$OUT/image.tar
TAG=fixture:3layers

say() { printf 'fixture image: %s\n' "$*"; }
die() { printf 'fixture image: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"
[ -f "$OUT/rootfs.tar" ] || die "no $OUT/rootfs.tar: run rootfs-fixtures/build.sh first"
command -v umoci >/dev/null || die "umoci is not installed (apt-get install umoci)"
command -v skopeo >/dev/null || die "skopeo is not installed (apt-get install skopeo)"

want=$(sha256sum "$OUT/rootfs.tar" "$HERE/build-image.sh" | awk '{print $1}' | tr '\n' ' ')
if [ "$(cat "$OUT/image.stamp" 2>/dev/null || true)" = "$want" ] && [ -f "$LAYOUT/index.json" ] &&
   [ -f "$ARCHIVE" ]; then
  say "up to date"
  exit 0
fi

tmp=$OUT/.build-image
rm -rf --one-file-system "$tmp"
mkdir -p "$tmp"
layout=$tmp/image
bundle=$tmp/bundle

umoci init --layout "$layout"
umoci new --image "$layout:$TAG"
umoci unpack --image "$layout:$TAG" "$bundle"
r=$bundle/rootfs

# Layer 1: the rootfs (extracted from the tarball so owners and modes are exact).
tar --numeric-owner -xpf "$OUT/rootfs.tar" -C "$r"
echo 1 > "$r/etc/fixture-version"
echo "this file is deleted by layer 3" > "$r/etc/fixture-removed"
umoci repack --refresh-bundle --image "$layout:$TAG" --history.created_by "busybox rootfs" "$bundle"

# Layer 2: a modified file and a new one. repack diffs against the last repack.
echo 2 > "$r/etc/fixture-version"
echo "added by layer 2" > "$r/etc/fixture-added"
umoci repack --refresh-bundle --image "$layout:$TAG" --history.created_by "fixture-version 2, fixture-added" "$bundle"

# Layer 3: a deletion, which an OCI layer records as a whiteout file.
rm "$r/etc/fixture-removed"
umoci repack --refresh-bundle --image "$layout:$TAG" --history.created_by "rm /etc/fixture-removed" "$bundle"

umoci config --image "$layout:$TAG" \
  --config.cmd sh \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.label org.example.fixture=3layers \
  --config.exposedports 80/tcp \
  --config.workingdir / \
  --history.created_by "config"
umoci gc --layout "$layout"

skopeo copy -q "oci:$layout:$TAG" "oci-archive:$tmp/image.tar:$TAG"

rm -rf --one-file-system "$LAYOUT"
mv "$layout" "$LAYOUT"
mv "$tmp/image.tar" "$ARCHIVE"
rm -rf --one-file-system "$tmp"
echo "$want" > "$OUT/image.stamp"
say "ready: $LAYOUT and $ARCHIVE ($TAG, $(du -sh "$ARCHIVE" | cut -f1))"
