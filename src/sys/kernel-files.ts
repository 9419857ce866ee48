/**
 * The one door to cgroupfs and procfs for the host side: cgroup directories and their
 * files (src/cgroups/), /proc/<pid>/{uid_map,gid_map,oom_score_adj} (src/container/).
 * Everything that writes the kernel's files goes through `kernelFiles()`, so that logic
 * (which file, which value, in which order, what an EINVAL means) can be tested without
 * root against a recording double, as youki's `Syscall` trait (crates/libcontainer/src/
 * syscall/test.rs) lets its cgroup and namespace code be tested.
 *
 * Errors are node:fs's own (with `code` set to the errno name), so callers' errorCode()
 * checks work the same against the real files and the double.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';

export interface KernelFiles {
  /** the whole file as text (cgroupfs and procfs files are small) */
  read(path: string): string;
  /** one write(2) of `value`: the kernel parses each write on its own */
  write(path: string, value: string): void;
  exists(path: string): boolean;
  /** mkdir(2) of one level; a cgroup's files appear with it */
  mkdir(path: string): void;
  /** rmdir(2): a cgroup goes only when it has no processes and no children (EBUSY) */
  rmdir(path: string): void;
  /** the names of the directories directly in `dir` (a cgroup's children) */
  subdirs(dir: string): string[];
  /** statfs(2) f_type of the file system at `path`, undefined if it cannot be read */
  fsType(path: string): number | undefined;
}

export const nodeKernelFiles: KernelFiles = {
  read: (path) => readFileSync(path, 'utf8'),
  write: (path, value) => writeFileSync(path, value),
  exists: (path) => existsSync(path),
  mkdir: (path) => mkdirSync(path),
  rmdir: (path) => rmdirSync(path),
  subdirs: (dir) => readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name),
  fsType: (path) => {
    try {
      return Number(statfsSync(path).type);
    } catch {
      return undefined;
    }
  },
};

let current: KernelFiles = nodeKernelFiles;

export function kernelFiles(): KernelFiles {
  return current;
}

/** For unit tests only: put a double in place; returns a function that puts back the previous one. */
export function useKernelFiles(files: KernelFiles): () => void {
  const previous = current;
  current = files;
  return () => {
    current = previous;
  };
}
