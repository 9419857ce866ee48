/**
 * seccomp details (issue 10 item 2): a syscall newer than every syscall the profile names
 * gets ENOSYS, not the default action (runc's "-ENOSYS stub", so a newer libc falls back
 * as on an older kernel), and `defaultErrnoRet` is the errno of the default action.
 *
 * A tiny static C program (built here, bind-mounted at /mnt) makes raw syscalls by number
 * and prints "nr:errno" for each. The profile allows every syscall of the native ABI below
 * 400 but getcpu, and denies the rest with errno 18 (EXDEV):
 *   - getcpu, older than the newest named syscall: the default action, errno 18;
 *   - pidfd_send_signal (424), newer than all of them: ENOSYS (38), though the kernel has it;
 *   - 1000, which no kernel has: ENOSYS.
 * And the filter is in place before the startContainer hooks run, as runc orders it.
 * Debian's runc runs the same bundles, where installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AARCH64_SYSCALLS, X86_64_SYSCALLS } from '../../src/seccomp/syscalls.js';
import type { Spec } from '../../src/spec/schema.js';
import { haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const suite = isRoot && haveFixture ? describe : describe.skip;
const RUNC = spawnSync('runc', ['--version']).status === 0 ? 'runc' : undefined;

const PROBE_C = `
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		errno = 0;
		long rc = syscall(atol(argv[i]), 0, 0, 0, 0, 0, 0);
		printf("%s:%d%s", argv[i], rc < 0 ? errno : 0, i + 1 < argc ? " " : "\\n");
	}
	return 0;
}
`;

const TABLE = process.arch === 'arm64' ? AARCH64_SYSCALLS : X86_64_SYSCALLS;
const ARCH = process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64';
const GETCPU = TABLE.getcpu!;
const PIDFD_SEND_SIGNAL = TABLE.pidfd_send_signal!;

suite('seccomp: -ENOSYS for syscalls newer than the profile, defaultErrnoRet, the filter under startContainer hooks', () => {
  let box: Sandbox;
  let probeDir: string;
  beforeEach(() => {
    box = sandbox();
    probeDir = join(box.dir, 'probe');
    mkdirSync(probeDir);
    writeFileSync(join(probeDir, 'probe.c'), PROBE_C);
    const cc = spawnSync('cc', ['-static', '-O2', '-o', join(probeDir, 'probe'), join(probeDir, 'probe.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
  });
  afterEach(() => box.cleanup());

  const profiled = (nnp: boolean) => (spec: Spec) => {
    spec.root!.path = realpathSync(spec.root!.path); // runc refuses a root.path through a symlink
    spec.process!.noNewPrivileges = nnp;
    spec.mounts!.push({ destination: '/mnt', type: 'bind', source: probeDir, options: ['rbind', 'ro'] });
    spec.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 18,
      architectures: [ARCH],
      syscalls: [{ names: Object.keys(TABLE).filter((name) => TABLE[name]! < 400 && name !== 'getcpu'), action: 'SCMP_ACT_ALLOW' }],
    };
  };
  const args = ['/mnt/probe', String(GETCPU), String(PIDFD_SEND_SIGNAL), '1000'];
  const expected = `${GETCPU}:18 ${PIDFD_SEND_SIGNAL}:38 1000:38`;

  for (const nnp of [true, false]) {
    it(`a newer syscall gets ENOSYS, an older unnamed one defaultErrnoRet (noNewPrivileges ${nnp})`, () => {
      const bundle = box.bundle(args, profiled(nnp));
      const r = box.run(['run', '-b', bundle, `enosys${nnp ? 1 : 0}`]);
      expect(r.stdout.trim(), r.stderr).toBe(expected);
      if (RUNC) {
        const theirs = spawnSync(RUNC, ['--root', join(box.dir, 'runc-state'), 'run', '-b', bundle, `enosys-runc${nnp ? 1 : 0}`], { encoding: 'utf8', timeout: 20_000 });
        expect(theirs.stdout.trim(), theirs.stderr).toBe(expected);
      }
    });
  }

  // runc loads the filter before it waits for `start`, so a startContainer hook runs under
  // it. Before, with no_new_privs, ts-runc loaded it after the hooks and the hook's mkdir
  // worked.
  for (const nnp of [true, false]) {
    it(`a startContainer hook runs under the filter (noNewPrivileges ${nnp})`, () => {
      const bundle = box.bundle(['sh', '-c', 'test -d /tmp/hook && echo hook-made || echo hook-absent'], (spec) => {
        spec.root!.path = realpathSync(spec.root!.path);
        spec.process!.noNewPrivileges = nnp;
        spec.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
        spec.linux!.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 18 }],
        };
        spec.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'mkdir /tmp/hook || true'] }] };
      });
      const r = box.run(['run', '-b', bundle, `hook${nnp ? 1 : 0}`]);
      expect(r.stdout.trim(), r.stderr).toBe('hook-absent');
      if (RUNC) {
        const theirs = spawnSync(RUNC, ['--root', join(box.dir, 'runc-state'), 'run', '-b', bundle, `hook-runc${nnp ? 1 : 0}`], { encoding: 'utf8', timeout: 20_000 });
        expect(theirs.stdout.trim(), theirs.stderr).toBe('hook-absent');
      }
    });
  }
});
