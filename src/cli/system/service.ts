/**
 * `ts-runc system service [--host unix:///path.sock|tcp://127.0.0.1:PORT] [--group G] [--pid-file F]`:
 * serve the Docker Engine API in the foreground (src/api/server.ts) until SIGTERM or SIGINT,
 * which close the listener and leave every container running under its monitor.
 */
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'host', short: 'H', type: 'string', value: 'URL', help: 'where to listen: unix:///path.sock (default unix:///run/ts-runc/docker.sock) or tcp://127.0.0.1:PORT (no authentication: root to whoever connects)' },
  { name: 'group', short: 'G', type: 'string', value: 'GROUP', help: 'group owning the socket (mode 0660), whose members may use it (default root)' },
  { name: 'pid-file', type: 'string', value: 'FILE', help: 'write the service\'s pid here' },
];

export const command: Command = {
  synopsis: '[options]',
  summary: 'serve the Docker Engine API (docker, docker-compose, docker-py, testcontainers)',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'system service');
    checkArgs(parsed, 'system service', command.synopsis);
    const [{ startService, DEFAULT_HOST }, { setupLogging, log }] = await Promise.all([import('../../api/server.js'), import('../../log.js')]);
    // A foreground service says what it does: info lines on stderr even without --log.
    await setupLogging({ file: globals.log, format: globals.logFormat, debug: globals.debug, stderr: true });
    const service = await startService({
      host: str(parsed, 'host') ?? DEFAULT_HOST,
      storage: globals.storage,
      root: globals.root,
      group: str(parsed, 'group'),
      pidFile: str(parsed, 'pid-file'),
    }, log());
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log().info(`${signal}: closing the API service`);
        void service.close().then(resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};
