/**
 * What the container handlers share: the record a reference names (404 "No such
 * container" as dockerd), library errors as API statuses, and the exits the service saw
 * (for a wait that arrives late).
 */
import { ContainerStore, NoSuchContainer } from '../../engine/containers/store.js';
import { waitContainer } from '../../engine/lifecycle/wait.js';
import { errorMessage } from '../../errors.js';
import { ApiError, notFound, statusOf } from '../http.js';
import type { ApiContext } from '../context.js';

export function containerStore(ctx: ApiContext): ContainerStore {
  return new ContainerStore(ctx.storage);
}

/** The record a reference (id, prefix, name) names, or Docker's 404 "No such container". */
export function findContainer(ctx: ApiContext, reference: string): ReturnType<ContainerStore['resolve']> {
  try {
    return containerStore(ctx).resolve(reference);
  } catch (error) {
    if (error instanceof NoSuchContainer || statusOf(error) === 404) throw notFound(`No such container: ${reference}`);
    throw error;
  }
}

/** A library error as an API status: a container's state in the way is a 409, a bad value a 400. */
export function translate(error: unknown): never {
  if (error instanceof ApiError) throw error;
  if (error instanceof NoSuchContainer) throw notFound(errorMessage(error).replace(/^no such container/, 'No such container'));
  throw new ApiError(statusOf(error), errorMessage(error));
}

/**
 * Exits seen by the service, kept a while: the docker CLI sends its wait before its start,
 * but on another connection, so under load the wait can arrive after a quick container
 * (`run --rm IMAGE true`) has already exited, or been removed. A start made here watches
 * the container for a while and keeps its exit for such a late wait.
 */
export const recentExits = new Map<string, { StatusCode: number; Error?: { Message: string }; at: number; waited: boolean }>();
const WATCH_MS = 60_000;

export function watchExit(ctx: ApiContext, id: string): void {
  const signal = AbortSignal.timeout(WATCH_MS);
  waitContainer(ctx.storage, id, 'not-running', signal).then((result) => {
    recentExits.set(id, { ...result, at: Date.now(), waited: false });
    setTimeout(() => recentExits.delete(id), WATCH_MS).unref();
  }, () => undefined);
}

