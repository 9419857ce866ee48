/**
 * Container ids and names as Docker makes them: a 64-hex random id (shown as its first 12
 * characters, and any unique prefix finds it), and, when no --name is given, a name
 * "adjective_surname" (moby pkg/namesgenerator; a shorter list, same idea: readable,
 * unlikely to collide, retried with a digit suffix when it does).
 */
import { randomBytes, randomInt } from '../../crypto.js';
import { RuntimeError } from '../../errors.js';

export function newContainerId(): string {
  // Docker retries an id that is all digits, as it could be mistaken for a number (moby stringid).
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

export function isFullId(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

const ADJECTIVES = [
  'admiring', 'amazing', 'awesome', 'blissful', 'bold', 'brave', 'busy', 'charming', 'clever', 'compassionate',
  'confident', 'cool', 'dazzling', 'determined', 'eager', 'ecstatic', 'elastic', 'elegant', 'epic', 'festive',
  'focused', 'friendly', 'funny', 'gallant', 'gifted', 'happy', 'hopeful', 'jolly', 'keen', 'kind', 'laughing',
  'lucid', 'magical', 'modest', 'nice', 'nifty', 'optimistic', 'peaceful', 'practical', 'quirky', 'relaxed',
  'serene', 'sharp', 'stoic', 'sweet', 'tender', 'trusting', 'upbeat', 'vibrant', 'wizardly', 'youthful', 'zen',
];

/** Scientists and engineers, as moby's list (a selection). */
const SURNAMES = [
  'agnesi', 'albattani', 'archimedes', 'babbage', 'banach', 'bardeen', 'bohr', 'boole', 'borg', 'cerf', 'curie',
  'darwin', 'dijkstra', 'einstein', 'euclid', 'euler', 'faraday', 'fermat', 'feynman', 'franklin', 'galileo',
  'gauss', 'goldberg', 'hamilton', 'hawking', 'hopper', 'hypatia', 'johnson', 'kepler', 'knuth', 'lamarr',
  'lamport', 'leakey', 'liskov', 'lovelace', 'mayer', 'mccarthy', 'meitner', 'newton', 'noether', 'pascal',
  'payne', 'ritchie', 'shannon', 'sinoussi', 'thompson', 'torvalds', 'turing', 'volhard', 'wozniak', 'yonath',
];

/** "eager_lovelace"; `attempt` > 0 appends a digit, as moby's GetRandomName(retry). */
export function randomName(attempt = 0): string {
  const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
  return attempt > 0 ? `${name}${randomInt(10)}` : name;
}

/** Docker's rule for names (daemon/names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`); a leading "/" is allowed and dropped. */
export function validateName(name: string): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(bare)) {
    throw new RuntimeError(`invalid container name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters`, { exitCode: 125 });
  }
  return bare;
}
