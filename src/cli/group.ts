/**
 * A verb made of sub-verbs (`image ls`, `network create`): one file per sub-verb, loaded
 * when called. `image --help` lists the sub-verbs, `image ls --help` shows that one, and a
 * mistyped sub-verb is answered with the nearest one.
 */
import { RuntimeError } from '../errors.js';
import { HelpRequested } from './args.js';
import type { Command, Subcommands } from './command.js';
import { commandHelp, groupHelp } from './help.js';
import { didYouMean } from './suggest.js';

/** The sub-verb `given` names (an alias resolved), or an error that suggests the nearest. */
export function resolveSubverb(verb: string, subcommands: Subcommands, given: string | undefined): string {
  if (given === undefined) throw new RuntimeError(`${verb}: missing command (use ${subcommands.names.join(', ')})`);
  const name = subcommands.aliases[given] ?? given;
  if (subcommands.names.includes(name)) return name;
  const hint = didYouMean(given, [...subcommands.names, ...Object.keys(subcommands.aliases)]);
  throw new RuntimeError(`${verb}: unknown command ${JSON.stringify(given)}${hint} (use ${subcommands.names.join(', ')})`);
}

export function commandGroup(verb: string, summary: string, subcommands: Subcommands): Command {
  const group: Command = {
    synopsis: `${subcommands.names.join('|')} [options] [arguments...]`,
    summary,
    flags: [],
    subcommands,
    async run(context, argv) {
      const [given, ...rest] = argv;
      if (given === '--help' || given === '-h' || (given === 'help' && rest.length === 0)) {
        process.stdout.write(await groupHelp(verb, group));
        return 0;
      }
      if (given === 'help') return group.run(context, [...rest, '--help']);
      const name = resolveSubverb(verb, subcommands, given);
      const command = await subcommands.load(name);
      try {
        return await command.run(context, rest);
      } catch (error) {
        if (!(error instanceof HelpRequested)) throw error;
        process.stdout.write(commandHelp(`${verb} ${name}`, command));
        return 0;
      }
    },
  };
  return group;
}
