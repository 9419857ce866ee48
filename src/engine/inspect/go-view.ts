/**
 * Which objects of the inspect JSON are Go structs and which are maps, for `--format`
 * (format/go-print.ts): a struct's missing field is docker's error ("map has no entry for
 * key"), a map's missing key prints "<no value>", and a struct prints as `{v1 v2 …}`.
 * Maps are the objects whose keys are data: labels, ports, networks, options.
 */
import { asStringMap, asStruct, goNil, omitEmpty, type Value } from '../format/go-print.js';

const MAPS = new Set([
  'Config.Labels', 'Config.ExposedPorts', 'Config.Volumes', 'HostConfig.PortBindings', 'HostConfig.Tmpfs',
  'HostConfig.Sysctls', 'HostConfig.LogConfig.Config', 'GraphDriver.Data', 'NetworkSettings.Ports',
  'NetworkSettings.Networks', 'NetworkSettings.Networks.*.DriverOpts',
]);

/** The maps whose values are strings (map[string]string): `index` of a missing key is "". */
const STRING_MAPS = new Set(['Config.Labels', 'HostConfig.Tmpfs', 'HostConfig.Sysctls', 'HostConfig.LogConfig.Config', 'GraphDriver.Data', 'NetworkSettings.Networks.*.DriverOpts']);

/** Fields that are Go slices or maps in Docker's types: a JSON null there is a nil one. */
const SLICES = new Set([
  'Args', 'Binds', 'CapAdd', 'CapDrop', 'Cmd', 'ConsoleSize', 'Devices', 'DeviceCgroupRules', 'Dns', 'DnsOptions', 'DnsSearch',
  'DNSNames', 'Entrypoint', 'Env', 'ExecIDs', 'ExtraHosts', 'GroupAdd', 'Links', 'MaskedPaths', 'Mounts', 'OnBuild', 'ReadonlyPaths',
  'SecurityOpt', 'Shell', 'Ulimits', 'VolumesFrom', 'Aliases',
]);
const MAP_FIELDS = new Set(['Labels', 'ExposedPorts', 'Volumes', 'PortBindings', 'Tmpfs', 'Sysctls', 'Ports', 'Networks', 'DriverOpts', 'StorageOpt']);

/** A copy of `value` with its structs marked; `path` is where it sits ("Config.Labels", "*" for a map's value). */
export function goView(value: unknown, path = ''): Value {
  if (Array.isArray(value)) return value.map((v) => goView(v, `${path}.[]`));
  if (value === null) {
    const field = path.slice(path.lastIndexOf('.') + 1);
    // a port's bindings ("443/tcp": null) are a []PortBinding too
    if (SLICES.has(field) || path === 'NetworkSettings.Ports.*' || path === 'HostConfig.PortBindings.*') return goNil('slice');
    if (MAP_FIELDS.has(field) || MAPS.has(path)) return goNil('map');
    return null;
  }
  if (typeof value !== 'object') return value as Value;
  const out: Record<string, Value> = {};
  const isMap = MAPS.has(path);
  for (const [key, child] of Object.entries(value)) {
    out[key] = goView(child, path === '' ? key : `${path}.${isMap ? '*' : key}`);
  }
  if (isMap) return STRING_MAPS.has(path) ? asStringMap(out) : out;
  const optional = OPTIONAL[path];
  if (optional) return asStruct(withOptional(out, optional));
  return asStruct(out);
}

/**
 * Pointer and omitempty fields the JSON leaves out when unset, which Docker's typed structs
 * still have (nil): `{{.State.Health}}` is `<nil>`, `{{if .Config.Healthcheck}}` false, not
 * an error. Each goes after the field named, as in Docker's struct.
 */
const OPTIONAL: Record<string, Array<[field: string, after: string, zero: () => Value]>> = {
  State: [['Health', 'FinishedAt', () => null]],
  Config: [['ExposedPorts', 'AttachStderr', () => goNil('map')], ['Healthcheck', 'Cmd', () => null]],
};

function withOptional(object: Record<string, Value>, fields: Array<[string, string, () => Value]>): Record<string, Value> {
  const missing = fields.filter(([field]) => !Object.hasOwn(object, field));
  if (missing.length === 0) return object;
  const out: Record<string, Value> = {};
  for (const [key, value] of Object.entries(object)) {
    out[key] = value;
    for (const [field, after, zero] of missing) if (after === key) out[field] = zero();
  }
  for (const [field, , zero] of missing) if (!Object.hasOwn(out, field)) out[field] = zero();
  return omitEmpty(out, missing.map(([field]) => field));
}
