// The network benchmark: per-container network set-up through ts-runc's netlink library
// (src/network/), against the same steps done with `ip` commands, as a shell script or a
// CNI plugin that shells out would do them:
//
//   1. a veth pair, the peer created directly in the container's netns (by pid)
//   2. the host end attached to the bridge, 3. and set up
//   4. lo up in the container, 5. eth0 up, 6. eth0's address, 7. the default route
//
// The container's network namespace is made the way `ts-runc create` makes it: our C
// init clones into a new one and hands back a netlink socket opened inside it (that is
// untimed, as is tearing it down). The `ip` variant reaches into the namespace with
// `nsenter -t PID -n ip …`, the library with that socket. Each iteration times both
// variants whole, alternating which goes first; medians are printed with their ratio.
//
//   node bench/network.mjs [--iterations=N]          (as root, after `make build`)
//
// Everything happens inside a scratch network namespace made for the run ("the host":
// the bridge lives there) and removed afterwards: the real host's links are never touched.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? process.env[`BENCH_${name.toUpperCase()}`] ?? fallback;
const ITERATIONS = Number(arg('iterations', 50));

if (process.getuid() !== 0) {
  console.error('bench/network: run as root (network namespaces)');
  process.exit(1);
}

if (!process.env.TSR_BENCH_NETNS) {
  // Re-run ourselves inside a scratch network namespace, and remove it whatever happens.
  const name = `tsr-bench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  let status = 1;
  try {
    const r = spawnSync('nsenter', [`--net=/run/netns/${name}`, '--', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit', env: { ...process.env, TSR_BENCH_NETNS: name },
    });
    status = r.status ?? 1;
  } finally {
    execFileSync('ip', ['netns', 'del', name]);
  }
  process.exit(status);
}

const { Netlink } = await import(join(ROOT, 'dist/network/netlink/socket.js'));
const L = await import(join(ROOT, 'dist/network/links.js'));
const A = await import(join(ROOT, 'dist/network/addresses.js'));
const R = await import(join(ROOT, 'dist/network/routes.js'));
const { InitProcess } = await import(join(ROOT, 'dist/process/init-process.js'));

const CLONE_NEWNET = 0x40000000;
const host = Netlink.open();
L.setLinkUp(host, 'lo');
L.createBridge(host, 'tsr0');
A.addAddress(host, 'tsr0', '10.88.0.1/16');
L.setLinkUp(host, 'tsr0');

/** A process in a new network namespace, from our init as create makes it, and its netlink socket. */
async function container() {
  const init = new InitProcess(
    { cloneFlags: CLONE_NEWNET, join: [], foreground: false, consoleSocket: '', preserveFds: 0 },
    { stdin: 'ignore', stdout: 'ignore', stderr: 'inherit' },
  );
  const pid = await init.pid();
  const nl = init.netlink();
  return {
    pid, nl,
    async remove() {
      nl.close();
      process.kill(pid, 'SIGKILL');
      init.release();
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

function withLibrary(c, hostEnd, address) {
  L.createVethPair(host, hostEnd, { name: 'eth0', netnsPid: c.pid });
  L.setMaster(host, hostEnd, 'tsr0');
  L.setLinkUp(host, hostEnd);
  L.setLinkUp(c.nl, 'lo');
  L.setLinkUp(c.nl, 'eth0');
  A.addAddress(c.nl, 'eth0', address);
  R.addRoute(c.nl, { gateway: '10.88.0.1', ifname: 'eth0' });
}

function withIp(c, hostEnd, address) {
  const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const inside = (...args) => execFileSync('nsenter', ['-t', String(c.pid), '-n', 'ip', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(c.pid));
  ip('link', 'set', hostEnd, 'master', 'tsr0');
  ip('link', 'set', hostEnd, 'up');
  inside('link', 'set', 'lo', 'up');
  inside('link', 'set', 'eth0', 'up');
  inside('addr', 'add', address, 'dev', 'eth0');
  inside('route', 'add', 'default', 'via', '10.88.0.1');
}

/** Did the set-up really happen? Checked once per variant before timing, with `ip -j`. */
function verify(c, hostEnd, address) {
  const json = (args) => JSON.parse(execFileSync(args[0], args.slice(1), { encoding: 'utf8' }));
  const [link] = json(['ip', '-j', 'link', 'show', hostEnd]);
  const addrs = json(['nsenter', '-t', String(c.pid), '-n', 'ip', '-j', '-4', 'addr']);
  const routes = json(['nsenter', '-t', String(c.pid), '-n', 'ip', '-j', 'route']);
  const ok = link.master === 'tsr0' && link.flags.includes('UP')
    && addrs.some((a) => a.ifname === 'lo' && a.flags.includes('UP'))
    && addrs.some((a) => a.ifname === 'eth0' && a.flags.includes('UP') && a.addr_info.some((i) => `${i.local}/${i.prefixlen}` === address))
    && routes.some((r) => r.dst === 'default' && r.gateway === '10.88.0.1');
  if (!ok) throw new Error(`set-up of ${hostEnd} incomplete: ${JSON.stringify({ link, addrs, routes })}`);
}

const variants = { library: withLibrary, ip: withIp };
const times = { library: [], ip: [] };
let n = 0;
for (let i = -2; i < ITERATIONS; i++) { // two warm-up rounds, verified and not counted
  const order = i % 2 === 0 ? ['library', 'ip'] : ['ip', 'library'];
  for (const name of order) {
    n++;
    const c = await container();
    const hostEnd = `vh${n}`;
    const address = `10.88.${1 + Math.floor(n / 250)}.${1 + (n % 250)}/16`;
    const start = process.hrtime.bigint();
    variants[name](c, hostEnd, address);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (i < 0) verify(c, hostEnd, address);
    else times[name].push(ms);
    L.deleteLink(host, hostEnd);
    await c.remove();
  }
}
host.close();

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const lib = median(times.library);
const ipm = median(times.ip);
console.log(`per-container network set-up (veth to a peer netns, master, up, lo up, eth0 up, address, default route), ${ITERATIONS} iterations, medians:`);
console.log(`  ts-runc netlink library  ${lib.toFixed(3)} ms`);
console.log(`  ip commands              ${ipm.toFixed(3)} ms`);
console.log(`  ratio ip / library       ${(ipm / lib).toFixed(1)}x`);
