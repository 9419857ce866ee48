/**
 * Docker's default seccomp profile, kept as data (default-profile.json; where it comes from
 * and which moby version: default-profile.md). tsc copies the JSON into dist/ beside this
 * module because it is imported (tsconfig resolveJsonModule), so it loads the same from
 * src/ under vitest and from dist/ under bin/ts-runc.
 */
import profile from './default-profile.json' with { type: 'json' };
import type { MobyProfile } from './moby-profile.js';

export const DEFAULT_PROFILE: Readonly<MobyProfile> = profile as MobyProfile;

/** How the default is named in errors. */
export const DEFAULT_PROFILE_SOURCE = 'the default seccomp profile';
