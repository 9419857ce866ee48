/**
 * `ts-runc image ls [-q] [--format table|json] [REPOSITORY[:TAG]]`: the images in the store, as
 * `docker images` lists them; with REPOSITORY, only its tags (and with :TAG, only that one).
 * Nameless images that build steps were made on (src/build/cache.ts) are left out, as
 * docker leaves out intermediate images, unless -a.
 */
import { RuntimeError } from '../../errors.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { parseReference } from '../../image/reference.js';
import type { ImageConfig, ImageRecord } from '../../image/types.js';

const FLAGS: FlagSpec[] = [
  { name: 'quiet', short: 'q', type: 'bool', help: 'only the image ids (12 hex digits)' },
  { name: 'all', short: 'a', type: 'bool', help: 'also the intermediate images of builds' },
  { name: 'format', type: 'string', help: 'table (default) or json' },
];

export const command: Command = {
  synopsis: '[options] [REPOSITORY[:TAG]]',
  summary: 'list images',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'image ls');
    const format = str(parsed, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new RuntimeError(`image ls: unknown --format ${JSON.stringify(format)} (table or json)`);
    const [filter] = checkArgs(parsed, 'image ls', command.synopsis);
    // docker refuses a filter that is no reference at all ("invalid reference format")
    if (filter !== undefined) parseReference(filter);
    const { ImageStore } = await import('../../image/store.js');
    const store = new ImageStore(globals.storage);
    const { intermediateImages } = await import('../../build/cache.js');
    const hidden = bool(parsed, 'all') ? new Set<string>() : intermediateImages(globals.storage);
    const images = store.list().filter((image) => image.names.length > 0 || !hidden.has(image.id)).flatMap((image) => {
      const names = filter === undefined ? image.names : image.names.filter((name) => nameMatchesFilter(name, filter));
      return filter === undefined || names.length > 0 ? [{ ...image, names }] : [];
    });
    if (bool(parsed, 'quiet')) process.stdout.write(images.map((i) => `${shortId(i.id)}\n`).join(''));
    else if (format === 'json') process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
    // CREATED is when the image was built (its config says), as docker shows it; an image
    // whose config has no date shows when it came into this store.
    else process.stdout.write(table(images, (image) => store.blobs.readJson<ImageConfig>(image.id).created ?? image.added));
    return 0;
  },
};

/**
 * Whether a stored name ("busybox:1.36", "127.0.0.1:5000/team/app:v2") is one `ls REPO[:TAG]`
 * shows: the same repository (a short name also matches it pulled from a registry, as image
 * references do: "app" finds "<host>/app" and "<host>/library/app"), and the tag if given.
 */
export function nameMatchesFilter(name: string, filter: string): boolean {
  const [repository, tag] = splitName(name);
  const [wantedRepository, wantedTag] = splitName(filter);
  if (wantedTag !== '<none>' && wantedTag !== tag) return false;
  if (repository === wantedRepository) return true;
  const withoutHost = repository.slice(repository.indexOf('/') + 1);
  const host = repository.slice(0, repository.indexOf('/'));
  const hasHost = repository.includes('/') && (/[.:]/.test(host) || host === 'localhost');
  return hasHost && (withoutHost === wantedRepository || withoutHost === `library/${wantedRepository}`);
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** One row per name (a nameless image shows <none>), columns padded like docker's. */
function table(images: ImageRecord[], created: (image: ImageRecord) => string): string {
  const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
  for (const image of images) {
    const names = image.names.length > 0 ? image.names : ['<none>:<none>'];
    for (const name of names) {
      const [repository, tag] = splitName(name);
      rows.push([repository, tag, shortId(image.id), ago(created(image)), humanSize(image.size)]);
    }
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => `${r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]! + 3))).join('')}\n`).join('');
}

function splitName(name: string): [string, string] {
  const at = name.indexOf('@');
  if (at >= 0) return [name.slice(0, at), '<none>'];
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, '<none>'];
}

function ago(iso: string): string {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  const steps: [number, string][] = [[86400 * 7, 'week'], [86400, 'day'], [3600, 'hour'], [60, 'minute']];
  for (const [size, unit] of steps) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return `${n} ${unit}${n > 1 ? 's' : ''} ago`;
  }
  return 'Less than a minute ago';
}

function humanSize(bytes: number): string {
  if (bytes < 1000) return `${bytes}B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit++;
  } while (value >= 1000 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 2 : 1)}${units[unit]}`;
}
