/**
 * A recording double of src/sys/kernel-files.ts: files and directories live in maps, each
 * call that changes the kernel's state (write, mkdir, rmdir) is recorded in order, and a
 * chosen write or rmdir can fail with an errno, as the kernel's would (code = 'EINVAL').
 */
import { dirname } from 'node:path';
import { useKernelFiles, type KernelFiles } from '../../src/sys/kernel-files.js';

export type Call = ['write', string, string] | ['mkdir', string] | ['rmdir', string];

function errno(code: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

export class RecordingKernelFiles implements KernelFiles {
  readonly calls: Call[] = [];
  readonly files = new Map<string, string>();
  readonly dirs = new Set<string>();
  readonly fsTypes = new Map<string, number>();
  /** path → errno codes to throw at its next writes (or mkdirs, rmdirs), one per call, in order */
  readonly failures = new Map<string, string[]>();

  constructor(files: Record<string, string> = {}, dirs: string[] = []) {
    for (const [path, value] of Object.entries(files)) this.files.set(path, value);
    for (const dir of dirs) this.dirs.add(dir);
  }

  /** the recorded writes only, as [path, value] */
  writes(): [string, string][] {
    return this.calls.filter((c): c is ['write', string, string] => c[0] === 'write').map(([, path, value]) => [path, value]);
  }

  failNext(path: string, ...codes: string[]): this {
    this.failures.set(path, [...(this.failures.get(path) ?? []), ...codes]);
    return this;
  }

  private failure(syscall: string, path: string): void {
    const code = this.failures.get(path)?.shift();
    if (code) throw errno(code, syscall, path);
  }

  read(path: string): string {
    const value = this.files.get(path);
    if (value === undefined) throw errno('ENOENT', 'open', path);
    return value;
  }

  write(path: string, value: string): void {
    this.failure('write', path);
    if (!this.files.has(path)) throw errno('ENOENT', 'open', path);
    this.calls.push(['write', path, value]);
    this.files.set(path, value);
  }

  exists(path: string): boolean {
    return this.files.has(path) || this.dirs.has(path);
  }

  mkdir(path: string): void {
    this.failure('mkdir', path);
    if (this.exists(path)) throw errno('EEXIST', 'mkdir', path);
    if (!this.dirs.has(dirname(path))) throw errno('ENOENT', 'mkdir', path);
    this.calls.push(['mkdir', path]);
    this.dirs.add(path);
  }

  rmdir(path: string): void {
    this.failure('rmdir', path);
    if (!this.dirs.has(path)) throw errno('ENOENT', 'rmdir', path);
    if (this.subdirs(path).length > 0) throw errno('EBUSY', 'rmdir', path);
    this.calls.push(['rmdir', path]);
    this.dirs.delete(path);
  }

  subdirs(dir: string): string[] {
    if (!this.dirs.has(dir)) throw errno('ENOENT', 'scandir', dir);
    return [...this.dirs].filter((d) => dirname(d) === dir && d !== dir).map((d) => d.slice(dir.length + 1)).sort();
  }

  fsType(path: string): number | undefined {
    return this.fsTypes.get(path);
  }

  /** put this double in place; returns the function that takes it out again */
  install(): () => void {
    return useKernelFiles(this);
  }
}
