/** `ts-runc features`: what this runtime supports, in the JSON shape of runc's (features.md). */
import { CAPABILITIES } from '../../plan/capabilities.js';
import { detectMode } from '../../cgroups/hierarchy.js';
import { SUPPORTED_ACTIONS, SUPPORTED_ARCHES, SUPPORTED_FLAGS, SUPPORTED_OPERATORS } from '../../seccomp/compile.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: '',
  summary: 'show the enabled features',
  flags: [],
  async run() {
    const mode = detectMode();
    const features = {
      ociVersionMin: '1.0.0',
      ociVersionMax: '1.2.0',
      hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
      mountOptions: [
        'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'mand', 'noatime', 'nodev',
        'nodiratime', 'noexec', 'nomand', 'norelatime', 'nostrictatime', 'nosuid', 'private', 'rbind', 'relatime',
        'remount', 'ro', 'rprivate', 'rshared', 'rslave', 'runbindable', 'rw', 'shared', 'slave', 'strictatime',
        'suid', 'sync', 'unbindable',
      ],
      linux: {
        namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
        capabilities: Object.keys(CAPABILITIES),
        cgroup: { v1: mode !== 'unified', v2: mode !== 'legacy', systemd: false, systemdUser: false, rdma: false },
        seccomp: {
          enabled: true,
          actions: SUPPORTED_ACTIONS,
          operators: SUPPORTED_OPERATORS,
          archs: SUPPORTED_ARCHES,
          knownFlags: SUPPORTED_FLAGS,
          supportedFlags: SUPPORTED_FLAGS,
        },
        apparmor: { enabled: false },
        selinux: { enabled: false },
        intelRdt: { enabled: false },
        mountExtensions: { idmap: { enabled: false } },
      },
      annotations: { 'org.opencontainers.runc.version': 'ts-runc 0.1.0' },
    };
    process.stdout.write(JSON.stringify(features, null, 2) + '\n');
    return 0;
  },
};
