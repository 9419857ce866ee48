/**
 * `container update [--cpus] [--cpu-shares] [--cpuset-cpus] [-m] [--memory-reservation]
 * [--memory-swap] [--pids-limit] [--blkio-weight] [--restart] CONTAINER...` (POST
 * /containers/{id}/update): the new values go into the record's HostConfig (what the next
 * start uses and inspect shows), and for a running container into its cgroup through the
 * runtime's update (src/container/update.ts), which merges them with what it runs with.
 * The restart policy is the record's; the monitor of a running container keeps the policy
 * it was started with until it is started again.
 */
import { RuntimeError } from '../../errors.js';
import { updateContainer as runtimeUpdate } from '../../container/update.js';
import type { SpecResources } from '../../spec/schema.js';
import { ContainerStore } from './store.js';
import { containerView } from './status.js';
import { runningRuntime } from './runtime.js';
import type { HostConfig } from '../types.js';

export type UpdateRequest = Pick<HostConfig, 'Memory' | 'MemoryReservation' | 'MemorySwap' | 'NanoCpus' | 'CpuShares' | 'CpusetCpus' | 'PidsLimit' | 'RestartPolicy'> & {
  BlkioWeight?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
};

/** The runtime's resources for the fields given (the conversions of lifecycle/spec.ts applyHostConfig). */
export function updateResources(update: UpdateRequest): SpecResources {
  const resources: SpecResources = {};
  const memory: NonNullable<SpecResources['memory']> = {};
  if (update.Memory !== undefined) memory.limit = update.Memory === 0 ? -1 : update.Memory;
  if (update.MemoryReservation !== undefined) memory.reservation = update.MemoryReservation;
  if (update.MemorySwap !== undefined) memory.swap = update.MemorySwap;
  if (Object.keys(memory).length > 0) resources.memory = memory;
  const cpu: NonNullable<SpecResources['cpu']> = {};
  if (update.NanoCpus !== undefined) {
    // --cpus N: N periods of quota per 100 ms period (moby daemon_unix.go); 0 lifts the limit
    cpu.period = 100_000;
    cpu.quota = update.NanoCpus === 0 ? -1 : Math.round((update.NanoCpus / 1e9) * 100_000);
  }
  if (update.CpuQuota !== undefined) cpu.quota = update.CpuQuota;
  if (update.CpuPeriod !== undefined) cpu.period = update.CpuPeriod;
  if (update.CpuShares !== undefined) cpu.shares = update.CpuShares;
  if (update.CpusetCpus !== undefined) cpu.cpus = update.CpusetCpus;
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;
  if (update.PidsLimit !== undefined && update.PidsLimit !== null) resources.pids = { limit: update.PidsLimit <= 0 ? -1 : update.PidsLimit };
  if (update.BlkioWeight !== undefined) resources.blockIO = { weight: update.BlkioWeight };
  return resources;
}

/** Docker's checks, before anything is written. */
function check(update: UpdateRequest, host: HostConfig): void {
  const memory = update.Memory ?? host.Memory ?? 0;
  const swap = update.MemorySwap ?? host.MemorySwap ?? 0;
  if (update.MemorySwap !== undefined && update.MemorySwap > 0 && memory === 0) throw new RuntimeError('update: --memory-swap needs a memory limit (-m) too: it is the total of memory and swap');
  if (swap > 0 && memory > swap) throw new RuntimeError(`update: memory limit (${memory}) should be smaller than the already set memoryswap limit (${swap}), update the memoryswap at the same time`);
  if (update.Memory !== undefined && update.Memory > 0 && update.Memory < 6 * 1024 * 1024) throw new RuntimeError('update: minimum memory limit allowed is 6MB');
  const policy = update.RestartPolicy;
  if (policy && !['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(policy.Name)) throw new RuntimeError(`update: invalid restart policy ${JSON.stringify(policy.Name)}`);
  if (policy && policy.Name !== 'on-failure' && (policy.MaximumRetryCount ?? 0) > 0) throw new RuntimeError('update: maximum retry count can only be used with the on-failure restart policy');
  if (policy?.Name && policy.Name !== 'no' && host.AutoRemove) throw new RuntimeError('update: restart policy cannot be updated because AutoRemove (--rm) is enabled for the container');
}

export async function updateContainer(storage: string, reference: string, update: UpdateRequest): Promise<{ Warnings: string[] }> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  check(update, record.HostConfig);
  const view = containerView(store, record);
  const resources = updateResources(update);
  if ((view.state.Running || view.state.Paused) && Object.keys(resources).length > 0) {
    const { runtime } = runningRuntime(view, 'update');
    runtimeUpdate(runtime, record.Id, resources);
  }
  store.update(record.Id, (r) => {
    const { BlkioWeight: _blkio, CpuQuota: _quota, CpuPeriod: _period, ...host } = update;
    for (const [key, value] of Object.entries(host)) if (value !== undefined) Object.assign(r.HostConfig, { [key]: value });
  });
  return { Warnings: [] };
}
