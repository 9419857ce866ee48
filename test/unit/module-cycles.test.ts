/**
 * The module graph follows the stages (STYLE.md: "type-only cycles are still cycles for a
 * reader"): no module of src/ may reach itself again through its imports, static, dynamic
 * or `import type`. A cycle fails here, naming its files. Two stage rules too: spec, the
 * first stage, imports nothing of the later ones (plan's tables live in spec), and only the
 * state store (src/state) names state.json: network code reads other containers through it.
 * And one table of namespace names: only spec/namespaces.ts spells the /proc/<pid>/ns name 'mnt'.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file imports or re-exports, as a path of src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:import|export)\s[^'"]*?\sfrom\s+['"](\.[^'"]+)['"]/g),
    ...text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers.map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
}

/** The strongly connected components of more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1) found.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the module graph of src/', () => {
  it('has no import cycle', () => {
    const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));
    const found = cycles(graph).map((c) => c.map((f) => relative(SRC, f)).sort().join(' '));
    expect(found).toEqual([]);
  });

  it('keeps spec, the first stage, free of the later stages', () => {
    const allowed = (path: string): boolean => path.startsWith(join(SRC, 'spec') + '/') ||
      ['errors.ts', 'log.ts'].includes(relative(SRC, path)) || path.startsWith(join(SRC, 'sys') + '/') || !path.startsWith(SRC);
    const outside = sourceFiles(join(SRC, 'spec')).flatMap((file) =>
      importsOf(file).filter((path) => !allowed(path)).map((path) => `${relative(SRC, file)} -> ${relative(SRC, path)}`));
    expect(outside).toEqual([]);
  });

  it('leaves state.json to the state store', () => {
    // src/engine/paths.ts names the engine's own state.json (the monitor's, not the runtime's)
    const readers = sourceFiles(SRC).filter((file) => !file.startsWith(join(SRC, 'state') + '/') && file !== join(SRC, 'engine', 'paths.ts') &&
      /['"`]state\.json['"`]/.test(readFileSync(file, 'utf8')));
    expect(readers.map((file) => relative(SRC, file))).toEqual([]);
  });

  it('names the namespaces under /proc/<pid>/ns in one table', () => {
    const tables = sourceFiles(SRC).filter((file) => /['"]mnt['"]/.test(readFileSync(file, 'utf8')));
    expect(tables.map((file) => relative(SRC, file))).toEqual(['spec/namespaces.ts']);
  });
});
