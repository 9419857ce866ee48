/**
 * `ts-runc container stats [-a] [--no-stream] [--no-trunc] [--format F] [CONTAINER...]`: live
 * resource use (CPU %, MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O, PIDS), as docker
 * stats shows it. Without --no-stream the table is redrawn every second (the screen
 * cleared on a terminal, as docker's) until interrupted; with it, one reading, which takes
 * one second (CPU % is a difference of two readings).
 */
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';
import { splitShortFlags } from '../short-flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'all', short: 'a', type: 'bool', help: 'show all containers (default shows just running)' },
  { name: 'no-stream', type: 'bool', help: 'disable streaming stats and only pull the first result' },
  { name: 'no-trunc', type: 'bool', help: 'do not truncate output' },
  { name: 'format', type: 'string', help: "'table', 'table TEMPLATE', 'json' or a Go template ({{.Name}} {{.CPUPerc}} {{.MemUsage}} ...)" },
];

export const command: Command = {
  synopsis: '[options] [CONTAINER...]',
  summary: 'display a live stream of container(s) resource usage statistics',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'container stats');
    const refs = checkArgs(parsed, 'container stats', command.synopsis);
    const { ContainerStore } = await import('../../engine/containers/store.js');
    const { containerView } = await import('../../engine/containers/status.js');
    const { containerStats } = await import('../../engine/inspect/stats.js');
    const { statsRow, STATS_HEADER, STATS_TABLE } = await import('../../engine/inspect/stats-row.js');
    const { listFormat, renderList } = await import('../../engine/format/list-format.js');
    const store = new ContainerStore(globals.storage);
    const ids = refs.length > 0
      ? refs.map((ref) => store.resolve(ref).Id)
      : store.list().filter((r) => {
        const s = containerView(store, r).state;
        return bool(parsed, 'all') || s.Running || s.Paused;
      }).map((r) => r.Id);
    const shape = listFormat(str(parsed, 'format'), STATS_TABLE);
    const trunc = !bool(parsed, 'no-trunc');
    const stream = !bool(parsed, 'no-stream');
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    const iterators = ids.map((id) => containerStats(globals.storage, id, { stream, signal: controller.signal }));
    const clear = stream && process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
    for (;;) {
      const readings = await Promise.all(iterators.map((it) => it.next()));
      const rows = readings.filter((r) => !r.done).map((r) => statsRow(r.value as Parameters<typeof statsRow>[0], trunc));
      if (controller.signal.aborted) break;
      if (rows.length === 0 && ids.length > 0) break;
      writeOut(clear + renderList(shape, rows, STATS_HEADER));
      if (!stream || ids.length === 0) break;
      if (!clear) writeOut('\n');
    }
    return 0;
  },
};
