/** Variable substitution as Docker's shell lexer does it (moby/buildkit shell/lex.go). */
import { describe, expect, it } from 'vitest';
import { processWord, processWords } from '../../src/build/parser/shell-lex.js';

const env = new Map([['A', 'a'], ['EMPTY', ''], ['PATHV', '/usr/local/bin:/usr/bin'], ['FILE', 'archive.tar.gz']]);
const w = (word: string) => processWord(word, env);

describe('substitution', () => {
  it('replaces $VAR and ${VAR}, unset as empty', () => {
    expect(w('$A-${A}-$UNSET-${UNSET}x')).toBe('a-a--x');
    expect(w('$A_b ${A}_b')).toBe(' a_b');
    expect(w('cost $ 5 $')).toBe('cost $ 5 $');
  });

  it('applies :- :+ - + with their difference on empty values', () => {
    expect(w('${UNSET:-def} ${EMPTY:-def} ${A:-def}')).toBe('def def a');
    expect(w('${UNSET-def}|${EMPTY-def}|${A-def}')).toBe('def||a');
    expect(w('${UNSET:+alt}|${EMPTY:+alt}|${A:+alt}')).toBe('||alt');
    expect(w('${UNSET+alt}|${EMPTY+alt}|${A+alt}')).toBe('|alt|alt');
    expect(w('${UNSET:-${A}x}')).toBe('ax');
  });

  it('fails on ? for unset or empty, and on bad syntax', () => {
    expect(() => w('${UNSET?need it}')).toThrow(/UNSET: need it/);
    expect(() => w('${EMPTY:?}')).toThrow(/EMPTY: is not allowed to be empty/);
    expect(w('${EMPTY?x}')).toBe('');
    expect(() => w('${A')).toThrow(/missing '}'/);
    expect(() => w('${:x}')).toThrow(/bad substitution/);
    expect(() => w('${A:=x}')).toThrow(/unsupported modifier \(:=\)/);
  });

  it('strips patterns with # ## % %% and replaces with / //', () => {
    expect(w('${FILE%.*} ${FILE%%.*} ${FILE#*.} ${FILE##*.}')).toBe('archive.tar archive tar.gz gz');
    expect(w('${PATHV/bin/sbin}|${PATHV//bin/sbin}')).toBe('/usr/local/sbin:/usr/bin|/usr/local/sbin:/usr/sbin');
  });

  it('removes quotes: single literal, double expanding; the escape makes $ literal', () => {
    expect(w(`'$A' "$A" \\$A "\\$A" "a\\"b" 'x\\y'`)).toBe('$A a $A $A a"b x\\y');
    expect(processWord('`$A', env, '`')).toBe('$A');
    expect(w('a\\')).toBe('a');
    expect(() => w('"abc')).toThrow(/matching double-quote/);
    expect(() => w("'abc")).toThrow(/matching single-quote/);
  });

  it('splits words after substitution, except inside quotes or after an escaped space', () => {
    expect(processWords('a "b c" d\\ e $A', env)).toEqual(['a', 'b c', 'd e', 'a']);
    expect(processWords('${SPACED}', new Map([['SPACED', 'x  y']]))).toEqual(['x', 'y']);
    expect(processWords('"${SPACED}"', new Map([['SPACED', 'x  y']]))).toEqual(['x  y']);
  });
});
