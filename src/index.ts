/**
 * ts-runc as a library: `import { runtime } from 'ts-runc'`.
 *
 * The handles (src/library/) sit on the same functions the CLI verbs call; see
 * README.md "Library" for a vitest example. Errors are RuntimeError (message, errno name
 * in `code`), and StepError for a plan step the init could not do (its index, op, errno).
 */
export { runtime, Runtime, type RuntimeOptions, type RunOptions, type CreateOptions, type WaitFor } from './library/runtime.js';
export { Container, type ExecOptions, type ExecResult, type StopOptions } from './library/container.js';
export { RuntimeError, StepError } from './errors.js';
export type { OciState, Status } from './state/container-state.js';
export type { ImageRecord } from './image/types.js';
export type { NetworkDef } from './network/networks.js';
/** The explanation of a container's birth (`ts-runc explain`), as data. */
export { explainBundle, explainImage, type ExplainOptions } from './explain/inputs.js';
export type { BirthLine, Phase } from './explain/birth.js';
export type { Step, Plan } from './plan/steps.js';
