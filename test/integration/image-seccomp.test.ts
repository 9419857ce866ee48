/**
 * Containers made from images get Docker's default seccomp profile (issue 9 item 6), and
 * `--security-opt seccomp=unconfined|FILE` changes it, as `docker run` does. Checked from
 * inside: the Seccomp line of /proc/self/status (0 none, 2 a filter: proc(5)) and what a
 * denied call answers. `unshare -U` needs no capability (user_namespaces(7)), so only the
 * filter can refuse it: the default profile allows unshare(2) only with CAP_SYS_ADMIN.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) ? describe : describe.skip;

const haveI386 = process.arch === 'x64' && spawnSync('sh', ['-c', 'command -v as && command -v ld']).status === 0;

/**
 * A static i386 program that makes its calls with `int $0x80` (the 32-bit ABI): write "hi",
 * then unshare(CLONE_NEWUSER), and exits with the errno that returned (0 if it worked).
 */
const I386_PROGRAM = `
.globl _start
.text
_start:
  movl $4, %eax
  movl $1, %ebx
  movl $msg, %ecx
  movl $3, %edx
  int $0x80
  movl $310, %eax
  movl $0x10000000, %ebx
  int $0x80
  negl %eax
  movl %eax, %ebx
  movl $252, %eax
  int $0x80
  hlt
.data
msg: .ascii "hi\\n"
`;

const PROBE = 'grep "^Seccomp:" /proc/self/status; unshare -U true && echo unshare-ok; mkdir /made && echo mkdir-ok; true';

suite('seccomp of containers from images', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
    const loaded = box.run(['image', 'load', '-i', IMAGE_TAR]);
    if (loaded.status !== 0) throw new Error(`image load: ${loaded.stderr}`);
  });
  afterEach(() => box.cleanup());

  const run = (flags: string[]) => box.run(['run', '--image', 'fixture:3layers', '--network', 'none', ...flags, '--', 'sh', '-c', PROBE]);

  it('applies Docker\'s default profile: a filter is on, unshare(2) without CAP_SYS_ADMIN gets EPERM', () => {
    const r = run([]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(r.stderr).toMatch(/unshare.*Operation not permitted/);
    expect(r.stdout).not.toContain('unshare-ok');
    expect(r.stdout).toContain('mkdir-ok');
  });

  it('bundle --image writes the resolved profile into config.json (host arch and its compat ABIs, no moby conditions)', () => {
    const dir = join(box.dir, 'b');
    const r = box.run(['bundle', '--image', 'fixture:3layers', dir]);
    expect(r.status, r.stderr).toBe(0);
    const seccomp = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { linux: { seccomp: { defaultAction: string; defaultErrnoRet: number; architectures: string[] } } }).linux.seccomp;
    expect(seccomp).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 });
    expect(seccomp.architectures[0]).toBe(process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64');
    expect(JSON.stringify(seccomp)).not.toMatch(/archMap|includes|excludes/);
    expect(box.run(['bundle', '--remove', dir]).status).toBe(0);
  });

  it('--security-opt seccomp=unconfined: no filter', () => {
    const r = run(['--security-opt', 'seccomp=unconfined']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+0$/m);
    expect(r.stdout).toContain('unshare-ok');
  });

  it('--security-opt seccomp=FILE applies that file, in OCI\'s format or moby\'s (conditions on capabilities resolved)', () => {
    const oci = join(box.dir, 'oci.json');
    writeFileSync(oci, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
    const a = run(['--security-opt', `seccomp=${oci}`]);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(a.stdout).toContain('unshare-ok');
    expect(a.stderr).toMatch(/mkdir.*Permission denied/); // EACCES: the file's errnoRet, not the default's EPERM

    const moby = join(box.dir, 'moby.json');
    writeFileSync(moby, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] }],
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_SYS_ADMIN'] } }, // applies: no SYS_ADMIN
        { names: ['unshare'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } }, // does not
      ],
    }));
    const b = run(['--security-opt', `seccomp=${moby}`]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain('unshare-ok');
    expect(b.stderr).toMatch(/mkdir.*Operation not permitted/);
  });

  it.runIf(haveI386)('a 32-bit x86 program is filtered with i386 numbers: its write works, its unshare gets EPERM', () => {
    const dir = join(box.dir, 'i386');
    mkdirSync(dir);
    writeFileSync(join(dir, 't.s'), I386_PROGRAM);
    const built = spawnSync('sh', ['-c', 'as --32 -o t.o t.s && ld -m elf_i386 -o t t.o'], { cwd: dir, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const probe = (flags: string[]) => box.run(['run', '--image', 'fixture:3layers', '--network', 'none', '-v', `${dir}:/i386:ro`, ...flags, '--', '/i386/t']);
    const unconfined = probe(['--security-opt', 'seccomp=unconfined']);
    if (unconfined.status === 139) return; // this kernel has no IA32 emulation: nothing to filter
    expect(unconfined.stdout).toBe('hi\n');
    expect(unconfined.status, unconfined.stderr).toBe(0);
    const confined = probe([]);
    expect(confined.stdout).toBe('hi\n');
    expect(confined.status, confined.stderr).toBe(1); // EPERM
  });

  it('--security-opt no-new-privileges=false and a bad value', () => {
    const r = box.run(['run', '--image', 'fixture:3layers', '--network', 'none', '--security-opt', 'no-new-privileges=false', '--', 'grep', 'NoNewPrivs', '/proc/self/status']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NoNewPrivs:\s+0$/m);
    const bad = box.run(['run', '--image', 'fixture:3layers', '--network', 'none', '--security-opt', 'apparmor=unconfined', '--', 'true']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--security-opt apparmor=unconfined: not supported');
  });
});
