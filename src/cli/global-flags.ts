/**
 * ts-runc's global flags, given before the verb (runc's). main.ts parses them; route.ts keeps
 * its own list of their names so that entry.js loads nothing to pick a bundle, and a unit
 * test (cli-route.test.ts) holds the two together.
 */
import { DEFAULT_ROOT } from '../state/container-state.js';
import { DEFAULT_STORAGE } from '../storage.js';
import type { FlagSpec } from './args.js';

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'root', type: 'string', help: `root directory for container state (default ${DEFAULT_ROOT})` },
  { name: 'storage', type: 'string', help: `directory for images, container layers and networks (default ${DEFAULT_STORAGE})` },
  { name: 'log', type: 'string', help: 'log file (default: stderr, errors only)' },
  { name: 'log-format', type: 'string', help: 'text or json' },
  { name: 'debug', type: 'bool', help: 'log debug output' },
  { name: 'systemd-cgroup', type: 'bool', help: 'accepted for compatibility; cgroups are managed through cgroupfs' },
  { name: 'rootless', type: 'string', help: 'accepted for compatibility (true|false|auto)' },
  { name: 'criu', type: 'string', help: 'accepted for compatibility; checkpoint is not supported' },
  { name: 'help', short: 'h', type: 'bool', help: 'show help' },
  { name: 'version', short: 'v', type: 'bool', help: 'print the version' },
];
