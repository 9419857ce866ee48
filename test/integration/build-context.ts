/**
 * The build context the build tests share (build.test.ts, build-buildah.test.ts): a
 * multi-stage Dockerfile using every instruction, and the files it copies and adds.
 * `url: false` leaves out the ADD of a URL (which needs the test's HTTP server).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PORT = 8099;

/** The Dockerfile: every instruction, two stages the target needs and one it does not. */
export const DOCKERFILE = `# syntax=docker/dockerfile:1
ARG BASE=fixture:3layers
FROM \${BASE} AS builder
ARG VERSION=1
ENV APP_HOME=/opt/app
WORKDIR $APP_HOME
COPY src/ ./src/
RUN echo "version $VERSION" > version \\
 # a comment inside a continuation
 && chmod 640 version
RUN ["sh", "-c", "echo exec form > /opt/app/exec && chown 1000:1000 /opt/app/exec"]

FROM fixture:3layers AS unused
RUN exit 3

FROM \${BASE} AS runtime
MAINTAINER Jane Doe <jane@example.com>
ARG VERSION=2
LABEL org.example.name="web app" org.example.version=\${VERSION:-none} empty=
ENV PATH=/opt/app/bin:$PATH GREETING="hello world" \\
    SPACED=a\\ b
SHELL ["/bin/sh", "-e", "-c"]
COPY --from=builder /opt/app/version /opt/app/exec /srv/
COPY --from=0 /opt/app/src /srv/src
COPY --chown=tester:tester --chmod=750 src/run.sh /opt/app/bin/run.sh
COPY *.conf /etc/app/
ADD archive.tar.gz /opt/gz/
ADD archive.tar.bz2 /opt/bz2/
ADD archive.tar.xz /opt/xz/
ADD plain.txt.gz /opt/plain/
ADD --chown=1000:1000 http://127.0.0.1:${PORT}/remote.txt /opt/remote/
EXPOSE 8080 9000/udp
VOLUME ["/data"]
RUN echo "$GREETING/$VERSION/$SPACED/\${HTTP_PROXY:-noproxy}" > /opt/app/env.txt && mkdir -p /home/app && touch /data/lost
USER tester
WORKDIR /home/app/work
RUN id -u > /tmp/uid && pwd > /tmp/pwd
HEALTHCHECK --interval=30s --timeout=5s --start-period=1s --retries=3 CMD wget -q -O- localhost:8080 || exit 1
STOPSIGNAL SIGQUIT
ONBUILD RUN echo triggered > /tmp/onbuild
ENTRYPOINT ["/opt/app/bin/run.sh"]
CMD ["--serve"]
`;

/** The files of the context. */
export function writeContext(dir: string, dockerfile = DOCKERFILE): void {
  mkdirSync(join(dir, 'src/lib'), { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  writeFileSync(join(dir, 'src/run.sh'), '#!/bin/sh\necho "run.sh $* as $(id -u):$(id -g) in $(pwd) greeting=$GREETING"\n');
  writeFileSync(join(dir, 'src/lib/util.txt'), 'util\n', { mode: 0o600 });
  writeFileSync(join(dir, 'a.conf'), 'a\n');
  writeFileSync(join(dir, 'b.conf'), 'b\n');
  writeFileSync(join(dir, 'secret.key'), 'do not copy\n');
  writeFileSync(join(dir, '.dockerignore'), '# keys stay out\n*.key\nignored/\n');
  mkdirSync(join(dir, 'arch/data'), { recursive: true });
  writeFileSync(join(dir, 'arch/data/file.txt'), 'from the archive\n', { mode: 0o604 });
  for (const [name, flag] of [['archive.tar.gz', '-z'], ['archive.tar.bz2', '-j'], ['archive.tar.xz', '-J']] as const) {
    const r = spawnSync('tar', [flag, '-cf', join(dir, name), '--owner=123', '--group=456', '--numeric-owner', '-C', join(dir, 'arch'), 'data']);
    if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  }
  writeFileSync(join(dir, 'plain.txt'), 'not an archive\n');
  spawnSync('gzip', ['-kf', join(dir, 'plain.txt')]);
}

