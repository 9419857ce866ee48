/**
 * `volume ls` and GET /volumes: every volume, with Docker's filters (API `filters`
 * {"dangling":["true"],"label":["a=b"]}; the CLI's --filter key=value):
 *
 *   dangling=true|false   not used by any container / used by one
 *   name=TEXT             the name contains TEXT (Docker matches a substring)
 *   label=KEY[=VALUE]     has the label (with that value)
 *   label!=KEY[=VALUE]    has not
 *   driver=local
 *
 * Values of one key are alternatives (OR); different keys must all match (AND), as Docker's.
 */
import { RuntimeError } from '../../errors.js';
import { listVolumes, volumeSize, type Volume } from './store.js';
import { volumeUsers } from './usage.js';

export type VolumeFilters = Record<string, string[]>;

const KEYS = ['dangling', 'name', 'label', 'label!', 'driver'];

/** "--filter dangling=true" values → the API's map; "label!=x" is the key "label!". */
export function parseFilterFlags(values: readonly string[], allowed: readonly string[] = KEYS): VolumeFilters {
  const filters: VolumeFilters = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new RuntimeError(`invalid filter ${JSON.stringify(value)}: expected KEY=VALUE`);
    const key = value.slice(0, eq);
    if (!allowed.includes(key)) throw new RuntimeError(`invalid filter ${JSON.stringify(key)} (${allowed.map((k) => (k === 'label!' ? 'label!=' : `${k}=`)).join(', ')})`);
    (filters[key] ??= []).push(value.slice(eq + 1));
  }
  return filters;
}

function hasLabel(volume: Volume, wanted: string): boolean {
  const eq = wanted.indexOf('=');
  if (eq < 0) return wanted in volume.Labels;
  return volume.Labels[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

export function matchesFilters(volume: Volume, filters: VolumeFilters, used: boolean): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    switch (key) {
      case 'dangling': {
        for (const v of values) if (!['true', 'false', '1', '0'].includes(v)) throw new RuntimeError(`invalid filter dangling=${v} (true or false)`);
        if (!values.some((v) => (v === 'true' || v === '1') === !used)) return false;
        break;
      }
      case 'name':
        if (!values.some((v) => volume.Name.includes(v))) return false;
        break;
      case 'label':
        if (!values.some((v) => hasLabel(volume, v))) return false;
        break;
      case 'label!':
        if (values.some((v) => hasLabel(volume, v))) return false;
        break;
      case 'driver':
        if (!values.includes(volume.Driver)) return false;
        break;
      default:
        throw new RuntimeError(`invalid filter ${JSON.stringify(key)}`);
    }
  }
  return true;
}

/** The volumes that match; `usage`: with UsageData (size and how many containers use each). */
export function queryVolumes(storage: string, filters: VolumeFilters = {}, options: { usage?: boolean } = {}): Volume[] {
  const users = volumeUsers(storage);
  return listVolumes(storage)
    .filter((v) => matchesFilters(v, filters, (users.get(v.Name)?.length ?? 0) > 0))
    .map((v) => (options.usage ? { ...v, UsageData: { Size: volumeSize(storage, v.Name), RefCount: users.get(v.Name)?.length ?? 0 } } : v));
}
