/** `ts-runc container _hook <id> init|cleanup|health`: what the monitor runs (src/engine/lifecycle/hook.ts). */
import { RuntimeError } from '../../errors.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: '<id> init|cleanup|health',
  summary: 'run by the container\'s monitor (not for people)',
  flags: [],
  async run({ globals }, argv) {
    const [id, phase] = argv;
    if (!id || (phase !== 'init' && phase !== 'cleanup' && phase !== 'health')) throw new RuntimeError('container _hook: expected <id> init|cleanup|health');
    const { runHook } = await import('../../engine/lifecycle/hook.js');
    return runHook(globals.storage, id, phase);
  },
};
