/**
 * `ts-runc container update [options] CONTAINER...`: new resource limits (and restart
 * policy) for containers, running or not (src/engine/containers/update.ts).
 */
import { RuntimeError, errorMessage } from '../../errors.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';
import { splitShortFlags } from '../short-flags.js';
import { parseSize } from '../../engine/units.js';
import { parseRestart } from './run-flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'cpus', type: 'string', help: 'number of CPUs (1.5)' },
  { name: 'cpu-shares', short: 'c', type: 'string', help: 'CPU shares (relative weight)' },
  { name: 'cpu-period', type: 'string', help: 'limit CPU CFS period (µs)' },
  { name: 'cpu-quota', type: 'string', help: 'limit CPU CFS quota (µs)' },
  { name: 'cpuset-cpus', type: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'memory', short: 'm', type: 'string', help: 'memory limit (512m, 1g)' },
  { name: 'memory-reservation', type: 'string', help: 'memory soft limit' },
  { name: 'memory-swap', type: 'string', help: 'swap limit equal to memory plus swap: -1 to enable unlimited swap' },
  { name: 'pids-limit', type: 'string', help: 'tune container pids limit (-1 for unlimited)' },
  { name: 'blkio-weight', type: 'string', help: 'block IO (relative weight), between 10 and 1000, or 0 to disable' },
  { name: 'restart', type: 'string', help: 'restart policy: no, on-failure[:N], always, unless-stopped' },
];

function integer(text: string | undefined, flag: string, min = -Infinity): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text) || Number(text) < min) throw new RuntimeError(`container update: invalid --${flag} ${JSON.stringify(text)}`);
  return Number(text);
}

export const command: Command = {
  synopsis: '[options] CONTAINER...',
  summary: 'update configuration of one or more containers',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'container update');
    const refs = checkArgs(parsed, 'container update', command.synopsis);
    const size = (flag: string) => {
      const v = str(parsed, flag);
      return v === undefined ? undefined : v === '-1' ? -1 : parseSize(v, `--${flag}`);
    };
    const cpus = str(parsed, 'cpus');
    if (cpus !== undefined && (!/^\d+(\.\d+)?$/.test(cpus))) throw new RuntimeError(`container update: --cpus ${cpus}: expected a number such as 1.5`);
    const blkio = integer(str(parsed, 'blkio-weight'), 'blkio-weight', 0);
    if (blkio !== undefined && blkio !== 0 && (blkio < 10 || blkio > 1000)) throw new RuntimeError('container update: --blkio-weight: range of blkio weight is from 10 to 1000');
    const restart = str(parsed, 'restart');
    const request = {
      NanoCpus: cpus === undefined ? undefined : Math.round(Number(cpus) * 1e9),
      CpuShares: integer(str(parsed, 'cpu-shares'), 'cpu-shares', 0),
      CpuPeriod: integer(str(parsed, 'cpu-period'), 'cpu-period', 0),
      CpuQuota: integer(str(parsed, 'cpu-quota'), 'cpu-quota', -1),
      CpusetCpus: str(parsed, 'cpuset-cpus'),
      Memory: size('memory'),
      MemoryReservation: size('memory-reservation'),
      MemorySwap: size('memory-swap'),
      PidsLimit: integer(str(parsed, 'pids-limit'), 'pids-limit', -1),
      BlkioWeight: blkio,
      RestartPolicy: restart === undefined ? undefined : parseRestart(restart),
    };
    if (Object.values(request).every((v) => v === undefined)) throw new RuntimeError('container update: you must provide one or more flags when using this command');
    const { updateContainer } = await import('../../engine/containers/update.js');
    let status = 0;
    for (const ref of refs) {
      try {
        await updateContainer(globals.storage, ref, request);
        writeOut(`${ref}\n`);
      } catch (error) {
        process.stderr.write(`Error response from daemon: ${errorMessage(error)}\n`);
        status = 1;
      }
    }
    return status;
  },
};
