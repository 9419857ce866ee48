/**
 * Linux capability names and their numbers.
 *
 * config.json names capabilities ("CAP_KILL"); the kernel's capset(2) and prctl(2) take bit
 * numbers. The numbers are ABI: they come from <linux/capability.h> and never change. The
 * list ends at CAP_CHECKPOINT_RESTORE (40, Linux 5.9), the last one defined today; see
 * capabilities(7). OCI runtime-spec config.md#linux-process: "Any value which cannot be
 * mapped to a relevant kernel interface MUST cause an error", so an unknown name is a
 * validation error (src/spec/schema.ts), and the compiler can look names up blindly.
 */
export const CAPABILITIES = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
} as const;

export type CapabilityName = keyof typeof CAPABILITIES;

/** Every name, in number order. */
export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as CapabilityName[];

export function isCapabilityName(name: string): name is CapabilityName {
  return Object.hasOwn(CAPABILITIES, name);
}

/**
 * Names to numbers, without duplicates, in the order given. Names were checked when the
 * spec was validated; one that slipped past is still an error here, never a silent skip.
 */
export function capabilityNumbers(names: readonly string[] | undefined): number[] {
  const numbers = (names ?? []).map((name) => {
    if (!isCapabilityName(name)) throw new TypeError(`unknown capability ${JSON.stringify(name)} (capabilities(7)); was the spec validated?`);
    return CAPABILITIES[name];
  });
  return [...new Set(numbers)];
}
