/**
 * A Dockerfile → its global ARGs (those before the first FROM, usable only in FROM lines)
 * and its stages, each a FROM and the instructions up to the next FROM.
 */
import { DockerfileError, splitLines } from './lines.js';
import { parseInstruction, type Instruction } from './instructions.js';

export type FromInstruction = Extract<Instruction, { kind: 'FROM' }>;
export type ArgInstruction = Extract<Instruction, { kind: 'ARG' }>;

export interface Stage {
  /** 0-based position in the file */
  index: number;
  from: FromInstruction;
  /** the instructions after FROM */
  commands: Instruction[];
}

export interface Dockerfile {
  file: string;
  escape: string;
  metaArgs: ArgInstruction[];
  stages: Stage[];
  warnings: string[];
}

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const { escape, instructions, warnings } = splitLines(text, file);
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const raw of instructions) {
    const instruction = parseInstruction(raw, escape, file);
    if (instruction.kind === 'FROM') {
      stages.push({ index: stages.length, from: instruction, commands: [] });
    } else if (stages.length === 0) {
      if (instruction.kind !== 'ARG') throw new DockerfileError(file, instruction.line, `no build stage in current context: ${raw.keyword} before the first FROM (only ARG may come before it)`);
      metaArgs.push(instruction);
    } else {
      stages[stages.length - 1]!.commands.push(instruction);
    }
  }
  if (stages.length === 0) throw new DockerfileError(file, instructions[instructions.length - 1]!.line, 'no FROM instruction: a Dockerfile must have at least one build stage');
  const names = new Set<string>();
  for (const stage of stages) {
    const name = stage.from.name;
    if (name === undefined) continue;
    if (names.has(name)) throw new DockerfileError(file, stage.from.line, `duplicate name ${name}: a build stage name must be unique`);
    names.add(name);
  }
  return { file, escape, metaArgs, stages, warnings };
}
