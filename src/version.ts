/** ts-runc's own version, printed by `--version` and in `features` (package.json says the same). */
export const TS_RUNC_VERSION = '0.1.0';

/**
 * The git commit this build was made from, for `--version`'s "commit:" line (runc prints
 * the `git describe` its Makefile passes with -ldflags). `make build` rewrites this
 * module's output in dist/ with `git describe --always --dirty` (scripts/write-commit.sh);
 * built outside a git checkout it stays "unknown". Nothing runs git at run time.
 */
export const BUILD_COMMIT: string = 'unknown';
