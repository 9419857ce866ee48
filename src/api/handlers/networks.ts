/**
 * The networks group (Engine API "Network") over src/network/: definitions, create,
 * remove; connect/disconnect over the engine's (src/engine/) functions. A network's Id is
 * the sha256 of its name and creation time: stable, 64 hex as docker's, and any unique
 * prefix finds it, as does its name.
 */
import { crypto } from '../../crypto.js';
import { describeNetwork, type NetworkView } from '../../network/inspect.js';
import { bridgeNameFor, createNetwork, listNetworks, loadNetwork, type NetworkDef } from '../../network/networks.js';
import { removeNetwork } from '../../network/remove.js';
import { DEFAULT_NETWORK } from '../../network/request.js';
import { hostIpv4Routes } from '../../network/routes.js';
import { recordEvent } from '../../engine/events.js';
import { errorMessage } from '../../errors.js';
import { ApiError, badRequest, notFound, readJson, sendJson, statusOf } from '../http.js';
import type { Call, Router } from '../router.js';
import type { ApiContext } from '../context.js';
import { connectNetwork, disconnectNetwork, primaryNetwork } from '../../engine/network/connect.js';
import { findContainer } from './container-ref.js';

export function networkRoutes(router: Router): void {
  router
    .add('GET', '/networks', list)
    .add('POST', '/networks/create', create)
    .add('POST', '/networks/prune', prune)
    .add('GET', '/networks/:id', inspect)
    .add('DELETE', '/networks/:id', remove)
    .add('POST', '/networks/:id/connect', connect)
    .add('POST', '/networks/:id/disconnect', disconnect);
}

export function networkId(def: NetworkDef): string {
  return crypto().createHash('sha256').update(`${def.name}\0${def.created}`).digest('hex');
}

/** Every network, the default one included (written on first use, as the CLI does). */
function allNetworks(ctx: ApiContext): NetworkDef[] {
  loadNetwork(ctx.storage, DEFAULT_NETWORK);
  return listNetworks(ctx.storage);
}

/** By name, full id or unique id prefix; "bridge"/"default" mean the default network. */
export function findNetworkDef(ctx: ApiContext, ref: string): NetworkDef {
  const wanted = ref === 'bridge' || ref === 'default' ? DEFAULT_NETWORK : ref;
  const all = allNetworks(ctx);
  const byName = all.find((def) => def.name === wanted);
  if (byName) return byName;
  const byId = all.filter((def) => networkId(def).startsWith(wanted));
  if (byId.length === 1 && wanted.length > 0) return byId[0]!;
  if (byId.length > 1) throw badRequest(`network ${ref} is ambiguous (${byId.length} matches)`);
  throw notFound(`network ${ref} not found`);
}

function view(ctx: ApiContext, def: NetworkDef, detail: NetworkView = describeNetwork(ctx.storage, def)): Record<string, unknown> {
  const prefix = def.subnet.split('/')[1];
  const containers: Record<string, unknown> = {};
  for (const c of detail.containers) {
    containers[c.id] = { Name: c.names.find((n) => n !== c.id && !c.id.startsWith(n)) ?? c.names[0] ?? c.id, EndpointID: crypto().createHash('sha256').update(`${def.name}\0${c.id}`).digest('hex'), MacAddress: '', IPv4Address: `${c.ip}/${prefix}`, IPv6Address: '' };
  }
  return {
    Name: def.name,
    Id: networkId(def),
    Created: def.created,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: def.subnet, Gateway: def.gateway }] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    // the bridge's name only when it was asked for (compose compares Options with what it asked)
    Options: def.bridge === bridgeNameFor(ctx.storage, def.name) || def.name === DEFAULT_NETWORK ? {} : { 'com.docker.network.bridge.name': def.bridge },
    Labels: def.labels ?? {},
  };
}

function list({ res, query, ctx }: Call): void {
  const filters = query.filters().only(['name', 'id', 'label', 'label!', 'driver', 'type', 'scope', 'dangling']);
  const out = allNetworks(ctx).map((def) => ({ def, detail: describeNetwork(ctx.storage, def) })).filter(({ def, detail }) => {
    const id = networkId(def);
    if (filters.has('name') && !filters.get('name').some((n) => def.name.includes(n))) return false;
    if (filters.has('id') && !filters.get('id').some((i) => id.startsWith(i))) return false;
    if (filters.has('driver') && !filters.get('driver').includes('bridge')) return false;
    if (filters.has('scope') && !filters.get('scope').includes('local')) return false;
    if (filters.has('type') && !filters.get('type').includes(def.name === DEFAULT_NETWORK ? 'builtin' : 'custom')) return false;
    if (filters.has('dangling') && filters.get('dangling').includes('true') !== (detail.containers.length === 0)) return false;
    return filters.matchLabels(def.labels);
  }).map(({ def, detail }) => view(ctx, def, detail));
  sendJson(res, 200, out);
}

function inspect({ res, params, ctx }: Call): void {
  sendJson(res, 200, view(ctx, findNetworkDef(ctx, params.id!)));
}

const KNOWN_CREATE_FIELDS = ['Name', 'CheckDuplicate', 'Driver', 'Scope', 'Internal', 'Attachable', 'Ingress', 'IPAM', 'EnableIPv4', 'EnableIPv6', 'Options', 'Labels', 'ConfigOnly', 'ConfigFrom'];

function stringRecord(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) throw badRequest(`${field}: must be an object of strings`);
  return value as Record<string, string>;
}

async function create({ req, res, ctx }: Call): Promise<void> {
  const body = await readJson(req);
  for (const key of Object.keys(body)) if (!KNOWN_CREATE_FIELDS.includes(key)) throw badRequest(`networks/create: unknown field ${key}`);
  const name = body.Name;
  if (typeof name !== 'string' || name === '') throw badRequest('networks/create: Name must be a non-empty string');
  if (body.Driver !== undefined && body.Driver !== null && body.Driver !== '' && body.Driver !== 'bridge') throw badRequest(`networks/create: Driver ${JSON.stringify(body.Driver)} is not supported (only bridge)`);
  for (const flag of ['Internal', 'EnableIPv6', 'Ingress', 'ConfigOnly'] as const) {
    if (body[flag] !== undefined && typeof body[flag] !== 'boolean') throw badRequest(`networks/create: ${flag} must be a boolean`);
    if (body[flag] === true) throw new ApiError(501, `networks/create: ${flag} networks are not supported by ts-runc`);
  }
  const labels = stringRecord(body.Labels, 'Labels');
  const options = stringRecord(body.Options, 'Options') ?? {};
  let bridge: string | undefined;
  for (const [key, value] of Object.entries(options)) {
    if (key === 'com.docker.network.bridge.name') bridge = value;
    else throw badRequest(`networks/create: option ${key} is not supported`);
  }
  let subnet: string | undefined;
  let gateway: string | undefined;
  if (body.IPAM !== undefined && body.IPAM !== null) {
    if (typeof body.IPAM !== 'object' || Array.isArray(body.IPAM)) throw badRequest('networks/create: IPAM must be an object');
    const ipam = body.IPAM as { Driver?: unknown; Config?: unknown; Options?: unknown };
    if (ipam.Driver !== undefined && ipam.Driver !== null && ipam.Driver !== '' && ipam.Driver !== 'default') throw badRequest(`networks/create: IPAM.Driver ${JSON.stringify(ipam.Driver)} is not supported`);
    if (ipam.Config !== undefined && ipam.Config !== null) {
      if (!Array.isArray(ipam.Config)) throw badRequest('networks/create: IPAM.Config must be a list');
      if (ipam.Config.length > 1) throw badRequest('networks/create: IPAM.Config: one IPv4 subnet per network');
      const config = (ipam.Config[0] ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(config)) {
        if (key !== 'Subnet' && key !== 'Gateway' && !(key === 'AuxiliaryAddresses' && (value === null || (typeof value === 'object' && Object.keys(value as object).length === 0))) && !(key === 'IPRange' && (value === '' || value === null))) {
          throw badRequest(`networks/create: IPAM.Config[0].${key} is not supported`);
        }
        if ((key === 'Subnet' || key === 'Gateway') && typeof value !== 'string') throw badRequest(`networks/create: IPAM.Config[0].${key} must be a string`);
      }
      subnet = (config.Subnet as string | undefined) || undefined;
      gateway = (config.Gateway as string | undefined) || undefined;
    }
  }
  if (allNetworks(ctx).some((def) => def.name === name)) throw new ApiError(409, `network with name ${name} already exists`);
  let def: NetworkDef;
  try {
    def = createNetwork(ctx.storage, { name, subnet, gateway, bridge, labels }, hostIpv4Routes);
  } catch (error) {
    throw new ApiError(statusOf(error) === 500 ? 400 : statusOf(error), errorMessage(error));
  }
  recordEvent(ctx.storage, 'network', 'create', networkId(def), { name: def.name, type: 'bridge' });
  sendJson(res, 201, { Id: networkId(def), Warning: '' });
}

function remove({ res, params, ctx }: Call): void {
  const def = findNetworkDef(ctx, params.id!);
  if (def.name === DEFAULT_NETWORK) throw new ApiError(403, `${def.name} is the default network and cannot be removed`);
  try {
    removeNetwork(ctx.storage, def.name);
  } catch (error) {
    if (/in use/.test(errorMessage(error))) throw new ApiError(403, `error while removing network: ${errorMessage(error)}`);
    throw error;
  }
  recordEvent(ctx.storage, 'network', 'destroy', networkId(def), { name: def.name, type: 'bridge' });
  res.writeHead(204);
  res.end();
}

function prune({ res, query, ctx }: Call): void {
  const filters = query.filters().only(['label', 'label!', 'until']);
  const deleted: string[] = [];
  for (const def of allNetworks(ctx)) {
    if (def.name === DEFAULT_NETWORK || !filters.matchLabels(def.labels)) continue;
    if (describeNetwork(ctx.storage, def).containers.length > 0) continue;
    try {
      removeNetwork(ctx.storage, def.name);
      recordEvent(ctx.storage, 'network', 'destroy', networkId(def), { name: def.name, type: 'bridge' });
      deleted.push(def.name);
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
  }
  sendJson(res, 200, { NetworksDeleted: deleted });
}

async function connect({ req, res, params, ctx }: Call): Promise<void> {
  const def = findNetworkDef(ctx, params.id!);
  const body = await readJson(req);
  if (typeof body.Container !== 'string' || body.Container === '') throw badRequest('networks/connect: Container must be a non-empty string');
  const endpoint = (body.EndpointConfig ?? {}) as { Aliases?: unknown; IPAMConfig?: { IPv4Address?: unknown } | null };
  if (typeof endpoint !== 'object' || Array.isArray(endpoint)) throw badRequest('networks/connect: EndpointConfig must be an object');
  if (endpoint.Aliases !== undefined && endpoint.Aliases !== null && (!Array.isArray(endpoint.Aliases) || endpoint.Aliases.some((a) => typeof a !== 'string'))) throw badRequest('networks/connect: EndpointConfig.Aliases must be a list of strings');
  const ip = endpoint.IPAMConfig?.IPv4Address;
  if (ip !== undefined && ip !== null && typeof ip !== 'string') throw badRequest('networks/connect: EndpointConfig.IPAMConfig.IPv4Address must be a string');
  await connectContainer(ctx, def.name, body.Container, { aliases: (endpoint.Aliases as string[] | null) ?? [], ip: (ip as string | null) || undefined });
  res.writeHead(200);
  res.end();
}

async function disconnect({ req, res, params, ctx }: Call): Promise<void> {
  const def = findNetworkDef(ctx, params.id!);
  const body = await readJson(req);
  if (typeof body.Container !== 'string' || body.Container === '') throw badRequest('networks/disconnect: Container must be a non-empty string');
  if (body.Force !== undefined && typeof body.Force !== 'boolean') throw badRequest('networks/disconnect: Force must be a boolean');
  await disconnectContainer(ctx, def.name, body.Container, body.Force === true);
  res.writeHead(200);
  res.end();
}

async function connectContainer(ctx: ApiContext, network: string, container: string, options: { aliases: string[]; ip?: string }): Promise<void> {
  const record = findContainer(ctx, container);
  try {
    connectNetwork(ctx.storage, record.Id, network, { aliases: options.aliases, ...(options.ip ? { ip: options.ip } : {}) });
  } catch (error) {
    // compose connects a created container to the network it was created on (inspect lists
    // no network before the start): that is already so, and not an error
    if (/already/i.test(errorMessage(error)) && primaryNetwork(record) === network) return;
    if (/already/i.test(errorMessage(error))) throw new ApiError(403, errorMessage(error));
    throw new ApiError(statusOf(error) === 500 ? 400 : statusOf(error), errorMessage(error));
  }
  recordEvent(ctx.storage, 'network', 'connect', networkId(findNetworkDef(ctx, network)), { name: network, type: 'bridge', container: record.Id });
}

async function disconnectContainer(ctx: ApiContext, network: string, container: string, force: boolean): Promise<void> {
  const record = findContainer(ctx, container);
  try {
    disconnectNetwork(ctx.storage, record.Id, network, { force });
  } catch (error) {
    throw new ApiError(statusOf(error) === 500 ? 400 : statusOf(error), errorMessage(error));
  }
  recordEvent(ctx.storage, 'network', 'disconnect', networkId(findNetworkDef(ctx, network)), { name: network, type: 'bridge', container: record.Id });
}
