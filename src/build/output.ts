/**
 * What a build reports, as events a sink turns into text (the CLI) or into the JSON stream
 * the Engine API sends for POST /build, which the docker CLI prints:
 *
 *   { stream: "Step 1/3 : FROM fixture:3layers\n" }   text, line by line as the classic builder writes it
 *   { aux: { ID: "sha256:…" } }                        the image built
 *   { error, errorDetail: { message } }                the failure (the last event)
 */
export type BuildEvent =
  | { type: 'stream'; text: string }
  | { type: 'aux'; id: string }
  | { type: 'error'; message: string };

export interface BuildOutput {
  event(event: BuildEvent): void;
}

/** Docker's JSON message for an event (jsonmessage.JSONMessage). */
export function jsonMessage(event: BuildEvent): Record<string, unknown> {
  switch (event.type) {
    case 'stream':
      return { stream: event.text };
    case 'aux':
      return { aux: { ID: event.id } };
    case 'error':
      return { errorDetail: { message: event.message }, error: event.message };
  }
}

/** Text to `write` (stdout); -q keeps only the final id, which the caller prints. */
export function textOutput(write: (text: string) => void, quiet = false): BuildOutput {
  return {
    event(event) {
      if (event.type === 'stream' && !quiet) write(event.text);
    },
  };
}

/** A JSON line per event (the Engine API's body for /build). */
export function jsonLinesOutput(write: (line: string) => void): BuildOutput {
  return { event: (event) => write(`${JSON.stringify(jsonMessage(event))}\n`) };
}
