/** `ts-runc features`: what this runtime supports, in the JSON shape of runc's (features.md). */
import { CAPABILITIES } from '../../spec/capabilities.js';
import { KNOWN_MOUNT_OPTIONS } from '../../plan/mount-options.js';
import { detectMode } from '../../cgroups/hierarchy.js';
import { SUPPORTED_ACTIONS, SUPPORTED_ARCHES, SUPPORTED_FLAGS, SUPPORTED_OPERATORS } from '../../seccomp/compile.js';
import { OCI_VERSION } from '../../spec/defaults.js';
import { NAMESPACE_TYPES } from '../../spec/namespaces.js';
import { TS_RUNC_VERSION } from '../../version.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: '',
  summary: 'show the enabled features',
  flags: [],
  async run(_context, argv) {
    checkArgs(parseFlags(argv, [], 'features'), 'features', '');
    const mode = detectMode();
    const features = {
      ociVersionMin: '1.0.0',
      ociVersionMax: OCI_VERSION,
      hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
      mountOptions: [...KNOWN_MOUNT_OPTIONS],
      linux: {
        namespaces: [...NAMESPACE_TYPES].sort(),
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
      annotations: { 'org.opencontainers.runc.version': `ts-runc ${TS_RUNC_VERSION}` },
    };
    process.stdout.write(JSON.stringify(features, null, 2) + '\n');
    return 0;
  },
};
