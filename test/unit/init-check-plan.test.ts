/**
 * The plan's encoder (src/plan/encode.ts) and the C init's decoder (native/init/steps.c,
 * decode.c) must agree field by field: a field read in the wrong order or as the wrong kind
 * would hand a step the wrong value at run time. `ts-runc-init --check-plan` decodes a plan
 * with the decoder the real run uses and prints each step's fields by the Step property
 * names, running nothing, so this needs neither root nor namespaces; only `make build`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeFields, encodePlan, MOUNT_ATTRS, mountFlagBits, PROPAGATION_FLAGS, u32 } from '../../src/plan/encode.js';
import { STEP_OPS, type Step, type StepOp } from '../../src/plan/steps.js';
import { initBinary } from '../../src/process/init-process.js';

/** One sample step per op. Fields of the same kind get different values, so a C decoder
 *  that reads two of them in the wrong order shows up as a mismatch. */
const SAMPLES: { [K in StepOp]: Extract<Step, { op: K }> } = {
  'set-root-propagation': { op: 'set-root-propagation', propagation: 'rslave' },
  'bind-rootfs': { op: 'bind-rootfs', rootfs: '/var/lib/ts-runc/containers/web/rootfs' },
  mount: {
    op: 'mount', source: 'tmpfs', target: '/dev/shm', fstype: 'tmpfs',
    flags: ['nosuid', 'nodev', 'noexec'], propagation: ['rprivate', 'shared'],
    data: 'mode=1777,size=65536k', create: 'dir',
  },
  'mount-copy-up': {
    op: 'mount-copy-up', target: '/etc', fstype: 'tmpfs', flags: ['ro', 'nosuid'],
    propagation: [], data: '',
  },
  'mount-setattr': { op: 'mount-setattr', target: '/data', set: ['ro', 'noatime'], clear: ['atime', 'nosuid'] },
  'remount-readonly': { op: 'remount-readonly', target: '/dev', flags: ['ro', 'nosuid', 'noexec'] },
  mkdir: { op: 'mkdir', path: '/dev/pts', mode: 0o755 },
  mknod: { op: 'mknod', path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o666, uid: 100000, gid: 100001 },
  symlink: { op: 'symlink', target: '/proc/self/fd', path: '/dev/fd' },
  'pivot-root': { op: 'pivot-root' },
  'move-root': { op: 'move-root' },
  chroot: { op: 'chroot', rootfs: '/srv/rootfs' },
  'mask-path': { op: 'mask-path', path: '/proc/kcore' },
  'readonly-path': { op: 'readonly-path', path: '/proc/sys' },
  'remount-root-readonly': { op: 'remount-root-readonly' },
  sethostname: { op: 'sethostname', name: 'web-1' },
  setdomainname: { op: 'setdomainname', name: 'example.org' },
  sysctl: { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
  setrlimit: { op: 'setrlimit', resource: 'RLIMIT_NOFILE', soft: 1024n, hard: 18446744073709551615n },
  'join-session-keyring': { op: 'join-session-keyring', name: '_ses.web' },
  terminal: { op: 'terminal', width: 120, height: 40 },
  'run-hook': {
    op: 'run-hook', name: 'createContainer', path: '/usr/bin/hook', args: ['hook', 'a b', 'é "q"\n'],
    env: ['PATH=/bin', 'EMPTY='], timeout: 5, state: '{"ociVersion":"1.2.0","id":"web"}',
  },
  'run-runtime-hooks': { op: 'run-runtime-hooks' },
  'drop-bounding-caps': { op: 'drop-bounding-caps', keep: [0, 5, 21, 40] },
  'switch-user': { op: 'switch-user', uid: 1000, gid: 1001, additionalGids: [10, 4, 27] },
  'set-capabilities': { op: 'set-capabilities', effective: [0, 1], permitted: [0, 1, 33], inheritable: [], ambient: [31, 32] },
  'lookup-home': { op: 'lookup-home', uid: 65534 },
  umask: { op: 'umask', mask: 0o022 },
  chdir: { op: 'chdir', path: '/home/app' },
  'chdir-as-user': { op: 'chdir-as-user', path: '/home/app' },
  'no-new-privileges': { op: 'no-new-privileges' },
  seccomp: { op: 'seccomp', program: '0600000000000000', flags: 4 },
  'close-fds': { op: 'close-fds' },
  'find-executable': { op: 'find-executable', path: 'sh', env: ['PATH=/usr/bin:/bin'] },
  'wait-for-start': { op: 'wait-for-start' },
  exec: { op: 'exec', path: '/bin/sh', args: ['sh', '-c', 'echo hi'], env: [] },
};

/** What the C side should print for a step: its properties, with the values the init
 *  works with (MS_* bits for mount flags and propagation, 64-bit numbers as text). */
function decoded(step: Step): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(step)) out[key] = typeof value === 'bigint' ? String(value) : value;
  if (step.op === 'mount' || step.op === 'mount-copy-up') {
    out.flags = mountFlagBits(step.flags);
    out.propagation = step.propagation.map((p) => PROPAGATION_FLAGS[p]);
  }
  if (step.op === 'remount-readonly') out.flags = mountFlagBits(step.flags);
  if (step.op === 'mount-setattr') {
    out.set = step.set.reduce((bits, a) => bits | MOUNT_ATTRS[a], 0);
    out.clear = step.clear.reduce((bits, a) => bits | MOUNT_ATTRS[a], 0);
  }
  if (step.op === 'set-root-propagation') out.propagation = PROPAGATION_FLAGS[step.propagation];
  return out;
}

function checkPlan(input: Buffer): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(initBinary(), ['--check-plan'], { input, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('the C init decodes every step the encoder writes (ts-runc-init --check-plan)', () => {
  it('finds the built init (make build)', () => {
    expect(existsSync(initBinary()), `${initBinary()} is missing: run make build`).toBe(true);
  });

  it('has a sample step for every op of src/plan/steps.ts', () => {
    expect(STEP_OPS.length).toBeGreaterThan(30);
    for (const op of STEP_OPS) expect(SAMPLES[op]?.op, `no sample step for ${op}`).toBe(op);
  });

  for (const op of STEP_OPS) {
    it(`decodes ${op} with the same fields`, () => {
      const step = SAMPLES[op];
      const { status, stdout, stderr } = checkPlan(encodePlan({ steps: [step] }));
      expect(stderr).toBe('');
      expect(status).toBe(0);
      const lines = stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toEqual(decoded(step));
    });
  }

  it('decodes a whole plan of every op, in order', () => {
    const steps = STEP_OPS.map((op) => SAMPLES[op]);
    const stdout = execFileSync(initBinary(), ['--check-plan'], { input: encodePlan({ steps }), encoding: 'utf8' });
    expect(stdout.trimEnd().split('\n').map((line) => JSON.parse(line))).toEqual(steps.map(decoded));
  });

  it('refuses an op it has no decoder for, and a step with a field missing or extra', () => {
    const plan = (...steps: (string | number)[][]): Buffer =>
      Buffer.concat([u32(steps.length), ...steps.map((fields) => encodeFields(fields))]);
    const unknown = checkPlan(plan(['mkdir', '/a', 493], ['no-such-op', 'x']));
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('step 1 (no-such-op): unknown step "no-such-op" in the plan');
    expect(unknown.stdout).toBe('{"op":"mkdir","path":"/a","mode":493}\n');

    const short = checkPlan(plan(['mkdir', '/a']));
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('malformed mkdir step in the plan (2 fields)');
    const long = checkPlan(plan(['pivot-root', 'x']));
    expect(long.status).toBe(1);
    expect(long.stderr).toContain('malformed pivot-root step in the plan (2 fields)');
    const notANumber = checkPlan(plan(['umask', '0o22']));
    expect(notANumber.status).toBe(1);
  });
});
