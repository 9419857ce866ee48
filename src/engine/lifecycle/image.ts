/**
 * The image a container is made from, with Docker's --pull policy:
 *   missing (default)  use the local image; pull it only if absent
 *   always             pull first (the name must say which registry)
 *   never              the local image or an error
 * ts-runc has no default registry: a name without a registry host ("fixture:3layers") can
 * only be a local image, and a missing one is said so rather than guessed at.
 */
import { RuntimeError, errorMessage } from '../../errors.js';
import { parseReference } from '../../image/reference.js';
import { ImageStore } from '../../image/store.js';
import type { ResolvedImage } from '../../image/types.js';
import type { CreateRequest } from '../types.js';

export async function resolveImage(storage: string, reference: string, pull: CreateRequest['pull'] = 'missing', platform?: string): Promise<ResolvedImage> {
  const store = new ImageStore(storage);
  const local = (): ResolvedImage | undefined => {
    try {
      return store.resolve(reference);
    } catch {
      return undefined;
    }
  };
  if (pull !== 'always') {
    const found = local();
    if (found) return found;
    if (pull === 'never') throw new RuntimeError(`no such image: ${reference} (--pull never: not pulled)`, { exitCode: 125 });
  }
  let registry: string | undefined;
  try {
    registry = parseReference(reference).registry;
  } catch (error) {
    throw new RuntimeError(`invalid image reference ${JSON.stringify(reference)}: ${errorMessage(error)}`, { exitCode: 125 });
  }
  if (!registry) {
    throw new RuntimeError(`no such image: ${reference} (not in this storage, and the name has no registry host to pull it from: load it, or name it as HOST[:PORT]/${reference})`, { exitCode: 125 });
  }
  const [{ pullImage }, { Progress }, { parsePlatform }, { parseCredentials }] = await Promise.all([
    import('../../image/registry/pull.js'), import('../../image/registry/progress.js'),
    import('../../image/registry/platform.js'), import('../../image/registry/client.js'),
  ]);
  try {
    await pullImage(store, reference, {
      progress: Progress.forStderr(true),
      platform: platform ? parsePlatform(platform) : undefined,
      credentials: parseCredentials(process.env.TS_RUNC_REGISTRY_CREDS),
    });
  } catch (error) {
    throw new RuntimeError(`pull ${reference}: ${errorMessage(error)}`, { exitCode: 125, cause: error });
  }
  return store.resolve(reference);
}
