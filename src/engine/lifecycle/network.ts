/**
 * HostConfig + NetworkingConfig → the runtime's NetworkRequest (src/network/request.ts):
 *   NetworkMode      "bridge"/"default"/"" → the default network; "none", "host",
 *                    "container:<ref>" (the engine name or id resolved to the runtime id), a name
 *   PortBindings     -p; PublishAllPorts -P (the image's ExposedPorts)
 *   EndpointsConfig  --network-alias (Aliases), --ip (IPAMConfig.IPv4Address)
 *   Dns, DnsSearch, DnsOptions, ExtraHosts   resolv.conf and /etc/hosts (src/network/hosts-files.ts)
 */
import { RuntimeError } from '../../errors.js';
import type { PortMapping } from '../../network/ports.js';
import { DEFAULT_NETWORK, parseNetworkMode, type NetworkRequest } from '../../network/request.js';
import type { ContainerStore } from '../containers/store.js';
import type { ContainerRecord } from '../types.js';

export function networkRequestFor(store: ContainerStore, record: ContainerRecord): NetworkRequest {
  const host = record.HostConfig;
  const modeText = !host.NetworkMode || host.NetworkMode === 'default' ? DEFAULT_NETWORK : host.NetworkMode;
  let mode = parseNetworkMode(modeText);
  // the runtime knows containers by their runtime id, which is the engine's full id
  if (mode.kind === 'container') mode = { kind: 'container', id: store.resolve(mode.id).Id };
  const endpointName = mode.kind === 'bridge' ? (host.NetworkMode && host.NetworkMode !== 'default' ? host.NetworkMode : 'bridge') : '';
  const endpoints = record.NetworkingConfig.EndpointsConfig ?? {};
  const endpoint = endpoints[endpointName] ?? endpoints[modeText] ?? (mode.kind === 'bridge' ? endpoints[mode.network] : undefined);
  const ip = endpoint?.IPAMConfig?.IPv4Address;
  if (ip && mode.kind !== 'bridge') throw new RuntimeError(`--ip ${ip}: needs a bridge network, not --network ${modeText}`, { exitCode: 125 });
  if ((host.Links ?? []).length > 0) throw new RuntimeError('--link is not applied by this build of ts-runc (containers on one user-defined network resolve each other by name)', { exitCode: 125 });
  if (mode.kind === 'container' && ((host.Dns ?? []).length || (host.DnsSearch ?? []).length || (host.DnsOptions ?? []).length || (host.ExtraHosts ?? []).length)) {
    throw new RuntimeError(`--dns and --add-host conflict with --network ${modeText} (docker: the other container's files are used)`, { exitCode: 125 });
  }
  // resolv.conf and /etc/hosts lines (src/network/hosts-files.ts)
  const dns = host.Dns?.length || host.DnsSearch?.length || host.DnsOptions?.length
    ? { servers: host.Dns ?? [], search: host.DnsSearch ?? [], options: host.DnsOptions ?? [] } : undefined;
  const publish: PortMapping[] = [];
  for (const [port, bindings] of Object.entries(host.PortBindings ?? {})) {
    const [number, proto = 'tcp'] = port.split('/');
    if (proto !== 'tcp' && proto !== 'udp') throw new RuntimeError(`port ${port}: protocol must be tcp or udp`, { exitCode: 125 });
    for (const binding of bindings.length > 0 ? bindings : [{}]) {
      publish.push({ hostIp: binding.HostIp ?? '', hostPort: Number(binding.HostPort || 0), containerPort: Number(number), protocol: proto });
    }
  }
  if ((mode.kind === 'none' || mode.kind === 'host' || mode.kind === 'container') && (publish.length > 0 || host.PublishAllPorts)) {
    throw new RuntimeError(`-p and -P need a network with its own addresses, not --network ${modeText}`, { exitCode: 125 });
  }
  return {
    mode, storage: store.storage, publish, publishAll: host.PublishAllPorts === true,
    // peers resolve a container by its name and short id too, as on Docker's user-defined networks
    aliases: mode.kind === 'bridge' ? [...new Set([record.Name.replace(/^\//, ''), record.Id.slice(0, 12), ...(endpoint?.Aliases ?? [])])] : [...(endpoint?.Aliases ?? [])],
    ...(ip ? { ip } : {}), ...(dns ? { dns } : {}), ...(host.ExtraHosts?.length ? { extraHosts: host.ExtraHosts } : {}),
  };
}
