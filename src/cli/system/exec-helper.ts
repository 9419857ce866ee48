/**
 * `ts-runc system _exec '<ExecRequest JSON>' CONTAINER` (hidden): what the API service runs
 * for POST /exec/{id}/start, as its child with pipes for stdio. It calls the engine's
 * execInContainer, the function `container exec` calls, and exits with the process's
 * status. With Tty the container's pty master is copied to and from these pipes
 * (process/console.ts attaches it to our stdio; they are no terminal, so nothing of ours
 * is put in raw mode and the output passes through one line discipline only).
 */
import { RuntimeError, errorMessage } from '../../errors.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: 'REQUEST-JSON CONTAINER',
  summary: 'run an exec for the API service (internal)',
  flags: [],
  async run({ globals }, argv) {
    const [json, ref] = argv;
    if (!json || !ref) throw new RuntimeError('system _exec: REQUEST-JSON and CONTAINER are required', { exitCode: 125 });
    let request;
    try {
      request = JSON.parse(json) as import('../../engine/lifecycle/exec.js').ExecRequest;
    } catch (error) {
      throw new RuntimeError(`system _exec: ${errorMessage(error)}`, { exitCode: 125 });
    }
    const { execInContainer } = await import('../../engine/lifecycle/exec.js');
    return execInContainer(globals.storage, ref, request);
  },
};
