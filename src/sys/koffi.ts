/**
 * Loading koffi, the short way (issue 14).
 *
 * koffi's package entry (koffi/index.cjs) finds its prebuilt binary by reading the ELF
 * header of Node's own executable for the C library it was linked against, and its bundled
 * helpers copy every property of node:util and node:fs, whose lazy getters then load
 * Node's streams, worker_threads and parseArgs. Measured with Node 26 on this project's
 * machine (`node -e`, 20 runs, CPU): `require('koffi')` costs 11 ms, the binary alone 2 ms,
 * and libc.ts loads koffi on every container with a network namespace.
 *
 * ts-runc targets glibc Linux, where the binary is
 * `@koromix/koffi-<platform>-<arch>/<platform>_<arch>/koffi.node` (koffi's optional
 * dependency for this platform). Anything else (musl, another layout, a binary of another
 * koffi version) falls back to the package entry, which knows every case.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type KoffiModule = typeof import('koffi');

export function loadKoffi(): KoffiModule {
  const require = createRequire(import.meta.url);
  try {
    const target = `${process.platform}-${process.arch}`;
    // The node_modules directory Node's require would find koffi in, looked up as it would,
    // nearest first, but without require.resolve's reading of each package's "exports"
    // (1.5 ms of every hook process that unmounts or opens a netlink socket, issue 14).
    const modules = require.resolve.paths('koffi')?.find((dir) => existsSync(join(dir, 'koffi', 'package.json')));
    if (modules !== undefined) {
      const native = require(join(modules, '@koromix', `koffi-${target}`, target.replace('-', '_'), 'koffi.node')) as KoffiModule & { version?: string };
      // koffi's own entry refuses a binary of another version ("Mismatched native Koffi modules")
      const koffiPackage = join(modules, 'koffi', 'package.json');
      if (native.version === (JSON.parse(readFileSync(koffiPackage, 'utf8')) as { version: string }).version) return native;
    }
  } catch {
    // not glibc Linux, or not this layout: koffi's entry finds it
  }
  return require('koffi') as KoffiModule;
}
