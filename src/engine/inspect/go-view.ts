/**
 * Which objects of the inspect JSON are Go structs and which are maps, for `--format`
 * (format/go-print.ts): a struct's missing field is docker's error ("map has no entry for
 * key"), a map's missing key prints "<no value>", and a struct prints as `{v1 v2 …}`.
 * Maps are the objects whose keys are data: labels, ports, networks, options.
 */
import { asStruct, type Value } from '../format/go-print.js';

const MAPS = new Set([
  'Config.Labels', 'Config.ExposedPorts', 'Config.Volumes', 'HostConfig.PortBindings', 'HostConfig.Tmpfs',
  'HostConfig.Sysctls', 'HostConfig.LogConfig.Config', 'GraphDriver.Data', 'NetworkSettings.Ports',
  'NetworkSettings.Networks', 'NetworkSettings.Networks.*.DriverOpts',
]);

/** A copy of `value` with its structs marked; `path` is where it sits ("Config.Labels", "*" for a map's value). */
export function goView(value: unknown, path = ''): Value {
  if (Array.isArray(value)) return value.map((v) => goView(v, `${path}.[]`));
  if (value === null || typeof value !== 'object') return value as Value;
  const out: Record<string, Value> = {};
  const isMap = MAPS.has(path);
  for (const [key, child] of Object.entries(value)) {
    out[key] = goView(child, path === '' ? key : `${path}.${isMap ? '*' : key}`);
  }
  // an empty object inside a map (ExposedPorts' {}) stays a map, as docker prints it: map[]
  if (isMap || (path.endsWith('.*') && Object.keys(out).length === 0)) return out;
  return asStruct(out);
}
