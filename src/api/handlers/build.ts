/**
 * POST /build: the classic builder's endpoint over src/build/'s buildImage. The body is the
 * context (a tar, or a Dockerfile alone); buildOptionsFromQuery reads t, dockerfile,
 * buildargs, labels, target, nocache, q, networkmode, platform; the answer is the JSON
 * stream the docker CLI prints (`{"stream": "Step 1/3 : …"}`, `{"aux": {"ID": …}}`, and on
 * failure a last `{"error": …}`). The docker CLI asks for this builder when DOCKER_BUILDKIT=0
 * (or when /_ping says Builder-Version 1, as ours does).
 */
import { errorMessage } from '../../errors.js';
import { ApiError, badRequest } from '../http.js';
import { notImplemented, type Call, type Router } from '../router.js';

export function buildRoutes(router: Router): void {
  router
    .add('POST', '/build', build)
    .add('POST', '/build/prune', notImplemented('POST /build/prune', 'ts-runc keeps no build cache apart from its images'));
}

async function build({ req, res, query, ctx }: Call): Promise<void> {
  if (query.str('version') === '2') throw new ApiError(501, 'POST /build?version=2: BuildKit is not supported; use the classic builder (DOCKER_BUILDKIT=0)');
  const [{ buildOptionsFromQuery }, { buildImage }, { jsonLinesOutput }] = await Promise.all([
    import('../../build/api-options.js'), import('../../build/build.js'), import('../../build/output.js'),
  ]);
  let request;
  try {
    request = buildOptionsFromQuery(query.params, req, undefined);
  } catch (error) {
    throw badRequest(errorMessage(error));
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const output = jsonLinesOutput((line) => {
    if (!request.quiet || !line.startsWith('{"stream"')) res.write(line);
  });
  try {
    await buildImage(ctx.storage, { ...request.options, signal: abort.signal }, output);
  } catch (error) {
    // buildImage reported its failure as the last event already; anything else is said here
    ctx.log.debug(`build: ${errorMessage(error)}`);
  }
  res.end();
}
