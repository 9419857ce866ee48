import { defineConfig } from 'vitest/config';

// Two projects, run one after the other (sequence.groupOrder; both above 0, since
// vitest puts a single-worker project with order 0 in a group that runs last):
//  - unit: no root, no kernel state; files run in parallel.
//  - integration: real namespaces, cgroups, mounts and network on the fixture rootfs
//    (run as root after `make fixture`); one file at a time, since they share the
//    machine's kernel resources, with generous timeouts (much more in the cgroup v2 VM,
//    where user space is 10-30x slower: VITEST_TIMEOUT_MS raises them).
const timeout = Number(process.env.VITEST_TIMEOUT_MS ?? 30_000);

export default defineConfig({
  test: {
    testTimeout: timeout,
    hookTimeout: timeout,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
