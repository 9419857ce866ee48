/** ts-runc's own version, printed by `--version` and in `features` (package.json says the same). */
export const TS_RUNC_VERSION = '0.1.0';
