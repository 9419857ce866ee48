/**
 * A container must not be able to reach the host's ts-runc-init and write to it (the
 * CVE-2019-5736 pattern): a process of the container finds a foreign process that still
 * runs the init, opens its /proc/<pid>/exe, and once the init has exec'd the user's
 * program (so the file is no longer busy, ETXTBSY) reopens it for writing; the next
 * container would then run the attacker's code as root on the host. Since the init runs
 * from a sealed memfd copy of itself (native/init/sealed-exe.c), that exe is the copy: the reopen
 * fails with ETXTBSY while it runs, and every write(2) with EPERM (F_SEAL_WRITE) after.
 *
 * The containers run a temporary COPY of build/ts-runc-init (TSRUNC_INIT), so that a
 * failing test damages only that copy.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, haveFixture, isRoot, sandbox, type Result, type Sandbox } from './helpers.js';
import type { Spec } from '../../src/spec/schema.js';

const suite = isRoot && haveFixture ? describe : describe.skip;

/**
 * The attacker (busybox sh). It looks for a process other than itself whose comm is
 * ts-runc-init (comm, unlike exe, is readable whatever the target's dumpable flag),
 * opens its /proc/<pid>/exe read-only (allowed even while the file is being executed),
 * then for about a second tries to reopen that file for writing through /proc/self/fd/3
 * and append to it. It reports in /mnt (a host directory): `state` says how far it got
 * (the test waits on it), `result` the counts at the end and the last refusal, `stderr`
 * the rest.
 */
const ATTACKER = `
exec 2>/mnt/stderr
seen=0 opened=0 tries=0 wrote=0 i=0 error= deadline=
while [ $opened = 0 ] && [ $i -lt 2000 ]; do
  i=$((i + 1))
  # once the init has been seen, keep trying for 2 s (it may become reachable later)
  if [ $seen = 1 ] && [ $((i % 10)) = 0 ] && [ $(date +%s) -ge $deadline ]; then break; fi
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [ "$p" = "$$" ] && continue
    c=; read c < $d/comm 2>/dev/null
    [ "$c" = ts-runc-init ] || continue
    if [ $seen = 0 ]; then seen=1; deadline=$(($(date +%s) + 2)); echo seen > /mnt/state; fi
    command exec 3< $d/exe || continue   # "command": a failed redirection must not end the shell
    # the pid may have exec'd between reading comm and opening exe: keep only the init
    case "$(readlink /proc/self/fd/3)" in
      *ts-runc-init*) opened=1; echo opened > /mnt/state; break ;;
    esac
    exec 3<&-
  done
  [ $opened = 1 ] || usleep 5000
done
if [ $opened = 1 ]; then
  while [ $tries -lt 100 ]; do
    tries=$((tries + 1))
    if error=$( (echo pwned >> /proc/self/fd/3) 2>&1 ); then wrote=$((wrote + 1)); break; fi
    usleep 10000
  done
fi
printf 'seen=%s opened=%s tries=%s wrote=%s\n%s\n' $seen $opened $tries $wrote "$error" > /mnt/result.tmp
mv /mnt/result.tmp /mnt/result
`;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (what()) return true;
  return what();
}

interface Outcome {
  seen: number;
  opened: number;
  tries: number;
  wrote: number;
  /** the shell's message for the last refused write */
  error: string;
}

suite('the init binary cannot be written from inside a container', () => {
  let box: Sandbox;
  let init: string;
  let initHash: string;
  let report: string;
  let run: (args: string[]) => Result;

  beforeEach(() => {
    box = sandbox();
    mkdirSync(join(box.dir, 'bin'));
    init = join(box.dir, 'bin', 'ts-runc-init');
    copyFileSync(join(REPO, 'build/ts-runc-init'), init);
    initHash = sha256(init);
    report = join(box.dir, 'report');
    mkdirSync(report);
    run = (args) => box.run(args, { env: { ...process.env, TSRUNC_INIT: init } });
  });
  afterEach(() => box.cleanup());

  const state = () => (existsSync(join(report, 'state')) ? readFileSync(join(report, 'state'), 'utf8').trim() : '');
  const done = () => existsSync(join(report, 'result'));
  const outcome = (): Outcome => {
    const [counts = '', error = ''] = readFileSync(join(report, 'result'), 'utf8').split('\n');
    const count = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(counts)?.[1] ?? -1);
    return { seen: count('seen'), opened: count('opened'), tries: count('tries'), wrote: count('wrote'), error };
  };
  /** the container reports in /mnt; `extraCaps` are added to its (and its exec's) capabilities */
  const withReport = (extraCaps: string[]) => (s: Spec) => {
    s.mounts!.push({ destination: '/mnt', type: 'bind', source: report, options: ['rbind', 'rw'] });
    const caps = s.process!.capabilities!;
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...(caps[set] ?? []), ...extraCaps];
  };

  it('during exec: a container process that opens the exec init\'s /proc/<pid>/exe cannot write it', async () => {
    // The attacker holds CAP_SYS_PTRACE, as a container may be given: with it, it can open
    // the exe of the exec'd init at any moment before its execve. (Without it the init is
    // closed to it altogether: see the last test.)
    const bundle = box.bundle(['sh', '-c', ATTACKER], withReport(['CAP_SYS_PTRACE']));
    expect(run(['create', '-b', bundle, 'victim']).status).toBe(0);
    expect(run(['start', 'victim']).status).toBe(0);
    // Each `exec -d` returns once the exec'd process runs `true`: its stage 0 has exited,
    // so no process runs the init any more (no ETXTBSY) and only the way the init was
    // started stands between the attacker and the file.
    for (let i = 0; i < 30 && state() !== 'opened'; i++) expect(run(['exec', '-d', 'victim', 'true']).stderr).toBe('');
    expect(state()).toBe('opened');
    expect(await waitFor(done, 10_000)).toBe(true);
    expect(outcome()).toMatchObject({ seen: 1, opened: 1, wrote: 0 });
    expect(outcome().tries).toBeGreaterThan(0);
    expect(sha256(init)).toBe(initHash);
  });

  it('between create and start: a process exec\'d into the created container cannot write the waiting init', async () => {
    // The created container's process 1 is the init, waiting at the start barrier. A
    // process exec'd into the created container shares its pid namespace and sees it as
    // pid 1; `start` makes it exec the user's program, after which the attacker keeps
    // trying. The attacker is exec'd detached, so that its own stage 0 (which would keep
    // the file busy) has exited. It holds CAP_SYS_PTRACE so that it really opens pid 1's
    // exe and the write itself is what is refused.
    const bundle = box.bundle(['sleep', '30'], withReport(['CAP_SYS_PTRACE']));
    expect(run(['create', '-b', bundle, 'waiting']).status).toBe(0);
    expect(run(['exec', '-d', 'waiting', 'sh', '-c', ATTACKER]).stderr).toBe('');
    expect(await waitFor(() => state() === 'opened', 10_000)).toBe(true);
    expect(run(['start', 'waiting']).status).toBe(0);
    expect(await waitFor(done, 10_000)).toBe(true);
    expect(outcome()).toMatchObject({ seen: 1, opened: 1, wrote: 0 });
    expect(outcome().tries).toBeGreaterThan(0);
    expect(sha256(init)).toBe(initHash);
  });

  it('between create and start: without CAP_SYS_PTRACE a container process cannot open the init\'s exe or fds at all', async () => {
    // The init is not dumpable (prctl(PR_SET_DUMPABLE, 0), as runc's): its /proc/<pid>
    // files need CAP_SYS_PTRACE in the host's user namespace. The waiting process 1 holds
    // the barrier's FIFOs and has no seccomp filter yet; none of that is the
    // container's to touch.
    const bundle = box.bundle(['sleep', '30'], withReport([]));
    expect(run(['create', '-b', bundle, 'closed']).status).toBe(0);
    expect(run(['exec', '-d', 'closed', 'sh', '-c', ATTACKER]).stderr).toBe('');
    expect(await waitFor(() => state() !== '', 10_000)).toBe(true);
    // Its fd names can be listed (DAC: the non-dumpable init's files belong to root, which
    // the container's root is), but not followed, and its environment cannot be read.
    const peek = run(['exec', 'closed', 'sh', '-c', 'readlink /proc/1/fd/*; cat /proc/1/environ']);
    expect(peek.stdout).toBe('');
    expect(peek.stderr).toMatch(/environ.*Permission denied/);
    expect(run(['start', 'closed']).status).toBe(0);
    expect(await waitFor(done, 10_000)).toBe(true);
    expect(outcome()).toMatchObject({ seen: 1, opened: 0, wrote: 0 });
    expect(sha256(init)).toBe(initHash);
  });
});
