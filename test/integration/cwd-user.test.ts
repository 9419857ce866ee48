/**
 * process.cwd and process.user together, as runc 1.1.5 handles them
 * (libcontainer/init_linux.go finalizeNamespace): chdir as root before the user switch,
 * and again as the user only when root was refused. Where runc is installed, each case
 * runs under runc too and the answers are compared.
 */
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/spec/schema.js';
import { haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';
import { RUNC, runcFor, sharedBundle, type Runc } from './side-by-side.js';

const suite = isRoot && haveFixture ? describe : describe.skip;

/** The container's uids and gids 0-65535 are the host's 100000-165535. */
const HOST_BASE = 100000;

suite('cwd and user, as runc sets them', () => {
  let box: Sandbox;
  let runc: Runc;
  beforeEach(() => {
    box = sandbox();
    runc = runcFor(box);
  });
  afterEach(() => {
    runc.cleanup();
    box.cleanup();
  });

  const bundle = (args: string[], name: string, edit?: (spec: Spec) => void) => sharedBundle(box, args, name, edit);

  // issue 10 item 9: before, the only chdir came after the user switch, and create failed
  // with "step 58/63 chdir /root: EACCES".
  it('create chdirs into a directory only root may enter (/root, mode 0700) before switching to the user', () => {
    const b = bundle(['sh', '-c', 'pwd; id -u; ls . >/dev/null 2>&1 || echo cannot-list'], 'create', (s) => {
      s.process!.cwd = '/root';
      s.process!.user = { uid: 1000, gid: 1000 };
    });
    const ours = box.run(['run', '-b', b, 'cwd-root']);
    expect(ours.stderr).toBe('');
    // The user holds the directory as its cwd but still may not read it.
    expect(ours.stdout).toBe('/root\n1000\ncannot-list\n');
    if (!RUNC) return;
    const theirs = runc.run(['run', '-b', b, runc.id('cwd-root')]);
    expect(theirs.stdout).toBe(ours.stdout);
  });

  // issue 10 item 9: before, `exec --user 1000 --cwd /root` failed with EACCES; runc's
  // exec (setns init) goes through the same finalizeNamespace and succeeds.
  it('exec --user 1000 --cwd /root starts in /root as runc does', () => {
    const b = bundle(['sleep', '100'], 'exec');
    expect(box.run(['run', '-d', '-b', b, 'cwd-exec']).status).toBe(0);
    const ours = box.run(['exec', '--user', '1000', '--cwd', '/root', 'cwd-exec', 'sh', '-c', 'pwd; id -u']);
    expect(ours.stderr).toBe('');
    expect(ours.stdout).toBe('/root\n1000\n');
    // A directory that is not there fails as in runc, naming the cwd.
    const missing = box.run(['exec', '--user', '1000', '--cwd', '/root/none', 'cwd-exec', 'true']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('chdir to cwd ("/root/none") set in process.cwd failed: No such file or directory');
    if (!RUNC) return;
    const id = runc.id('cwd-exec');
    expect(runc.run(['run', '-d', '-b', b, id]).status).toBe(0);
    expect(runc.run(['exec', '--user', '1000', '--cwd', '/root', id, 'sh', '-c', 'pwd; id -u']).stdout).toBe(ours.stdout);
    const theirs = runc.run(['exec', '--user', '1000', '--cwd', '/root/none', id, 'true']);
    expect(theirs.status).not.toBe(0);
    expect(theirs.stderr).toContain('chdir to cwd (\\"/root/none\\") set in config.json failed: no such file or directory');
  });

  // issue 10 item 9: before, --user 65534 gave gid 0 and -g 20 replaced groups=10.
  it('exec --user UID keeps the process\'s gid and -g adds to its additional gids, as runc does', () => {
    const b = bundle(['sleep', '100'], 'gids', (s) => { s.process!.user = { uid: 1000, gid: 1000, additionalGids: [10] }; });
    const cases = [['--user', '65534'], ['-g', '20'], ['--user', '0:0', '-g', '20']];
    expect(box.run(['run', '-d', '-b', b, 'gids']).status).toBe(0);
    const ours = cases.map((flags) => box.run(['exec', ...flags, 'gids', 'id']).stdout);
    expect(ours).toEqual([
      'uid=65534(nobody) gid=1000(tester) groups=10\n',
      'uid=1000(tester) gid=1000(tester) groups=10,20\n',
      'uid=0(root) gid=0(root) groups=10,20\n',
    ]);
    if (!RUNC) return;
    const id = runc.id('gids');
    expect(runc.run(['run', '-d', '-b', b, id]).status).toBe(0);
    expect(cases.map((flags) => runc.run(['exec', ...flags, id, 'id']).stdout)).toEqual(ours);
  });

  /**
   * In a user namespace root's capabilities do not cover a file whose owner the namespace
   * does not map (capabilities(7) "Interaction with user namespaces"). Under /mnt:
   *   group/ host 0:101000 (container nobody:1000) 0750: the user may enter, root may not;
   *   closed/ host 0:0 0700: nobody in the container may.
   * The first is runc's reason for the second chdir ("the container user has access to
   * the directory, but the user running runc does not").
   */
  it('in a user namespace: a directory only the user may enter works, one nobody may enter fails as in runc', () => {
    chmodSync(box.dir, 0o755); // the bind source is resolved by the namespace's root
    const shared = join(box.dir, 'shared');
    mkdirSync(join(shared, 'group'), { recursive: true });
    mkdirSync(join(shared, 'closed'));
    chownSync(join(shared, 'group'), 0, HOST_BASE + 1000);
    chmodSync(join(shared, 'group'), 0o750);
    chmodSync(join(shared, 'closed'), 0o700);
    const b = bundle(['sleep', '100'], 'userns', (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: HOST_BASE, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: HOST_BASE, size: 65536 }];
      // sysfs and cgroupfs need a network/cgroup namespace owned by the user namespace
      s.mounts = s.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup' && m.destination !== '/sys');
      s.mounts.push({ destination: '/mnt', type: 'bind', source: shared, options: ['rbind'] });
    });
    const cases = [
      ['--user', '1000:1000', '--cwd', '/mnt/group'],
      ['--cwd', '/mnt/group'],
      ['--user', '1000:1000', '--cwd', '/mnt/closed'],
    ];
    expect(box.run(['run', '-d', '-b', b, 'cwd-userns']).stderr).toBe('');
    const ours = cases.map((flags) => box.run(['exec', ...flags, 'cwd-userns', 'pwd']));
    expect(ours[0]).toMatchObject({ status: 0, stdout: '/mnt/group\n', stderr: '' });
    for (const [r, dir] of [[ours[1]!, 'group'], [ours[2]!, 'closed']] as const) {
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`chdir to cwd ("/mnt/${dir}") set in process.cwd failed: Permission denied`);
    }
    if (!RUNC) return;
    const id = runc.id('cwd-userns');
    expect(runc.run(['run', '-d', '-b', b, id]).status).toBe(0);
    const theirs = cases.map((flags) => runc.run(['exec', ...flags, id, 'pwd']));
    expect(theirs.map((r) => [r.status === 0, r.stdout])).toEqual(ours.map((r) => [r.status === 0, r.stdout]));
    expect(theirs[2]!.stderr).toContain('chdir to cwd (\\"/mnt/closed\\") set in config.json failed: permission denied');
  });
});
