/**
 * `ts-runc container inspect [-f FORMAT] [-s] CONTAINER...`: Docker's inspect JSON (a list,
 * indented with four spaces, HTML characters escaped as Go's encoder does; `-f json` the same
 * list on one line), or FORMAT run per container. Every reference is tried: a missing one is reported after the others
 * are printed, and the exit status is 1, as docker's.
 */
import { RuntimeError, errorMessage } from '../../errors.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { splitShortFlags } from '../short-flags.js';
import { writeOut } from '../output.js';

const FLAGS: FlagSpec[] = [
  { name: 'format', short: 'f', type: 'string', help: "'json' or a Go template: '{{.State.Status}}', '{{(index .NetworkSettings.Networks \"ts-runc\").IPAddress}}'" },
  { name: 'size', short: 's', type: 'bool', help: 'display total file sizes (SizeRw, SizeRootFs)' },
  { name: 'type', type: 'string', help: 'only "container" (ts-runc image inspect shows images)' },
];

export const command: Command = {
  synopsis: '[options] CONTAINER...',
  summary: 'show detailed information on one or more containers',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'container inspect');
    const refs = checkArgs(parsed, 'container inspect', command.synopsis);
    const type = str(parsed, 'type');
    if (type !== undefined && type !== 'container') throw new RuntimeError(`container inspect: --type ${JSON.stringify(type)}: only "container" here (use ts-runc image inspect, network inspect)`);
    const format = str(parsed, 'format');
    const { inspectContainer } = await import('../../engine/inspect/inspect.js');
    const { escapeHtmlJson } = await import('../../engine/format/go-print.js');
    // the template is parsed first: a typo costs no lookup
    const template = format !== undefined && format !== 'json' ? (await import('../../engine/format/template.js')).compileTemplate(format) : undefined;
    const { goView } = await import('../../engine/inspect/go-view.js');
    const found: unknown[] = [];
    const errors: string[] = [];
    let out = '';
    for (const ref of refs) {
      try {
        const inspect = await inspectContainer(globals.storage, ref, { size: bool(parsed, 'size') });
        if (template) out += `${template.execute(goView(inspect))}\n`;
        else found.push(inspect);
      } catch (error) {
        // docker inspect calls a template that fails on a container a parsing error too
        const message = errorMessage(error);
        errors.push(message.startsWith('template: ') ? `template parsing error: ${message}` : message);
      }
    }
    // docker 28: the list indented by four spaces, or with --format json on one line;
    // & < > escaped as the daemon's Go encoder writes them
    if (format === undefined) out = `${escapeHtmlJson(JSON.stringify(found, null, 4))}\n`;
    if (format === 'json') out = `${escapeHtmlJson(JSON.stringify(found))}\n`;
    writeOut(out);
    // docker: "Error: No such container: x", but a template's error as it is
    for (const message of errors) process.stderr.write(message.startsWith('template parsing error: ') ? `${message}\n` : `Error: ${message}\n`);
    return errors.length > 0 ? 1 : 0;
  },
};
