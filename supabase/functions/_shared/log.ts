// Every log line of the functions goes through here. The hosting dashboard shows console output
// to the project's operators, so a line must not carry a member's email, name, tokens,
// affirmation text or request bodies: the text is scrubbed by scrub.ts (the same function the
// error reports use), and an error is logged as its class, its scrubbed first line and the code
// locations of its stack (never err.stack as text: its first line is the raw message).
// No other file calls console.* (tests/functions/test_edge_functions.py checks).
import { errorType, scrubLogText, scrubMessage, stackFrames } from "./scrub.ts";

/** Where finished (already scrubbed) lines go; tests pass their own. */
export type LogSink = (line: string) => void;
/** A scrubbing logger: a message, and optionally the error it is about. */
export type Logger = (message: string, err?: unknown) => void;

// Looked up at each call, so a test that replaces console.error sees every line.
const toConsole: LogSink = (line) => console.error(line);

/** An error as code locations and scrubbed text only. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `${errorType(err)} thrown`;
  const where = stackFrames(err.stack).filter((f) => f.in_app).reverse().slice(0, 6)
    .map((f) => `${f.function ? `${f.function} ` : ""}${f.filename}:${f.lineno}`);
  return `${errorType(err)}: ${scrubMessage(err.message)}${where.length ? ` [at ${where.join(" < ")}]` : ""}`;
}

/** A logger writing to `sink` (console.error by default) through the scrubber. */
export function logger(sink?: LogSink): Logger {
  return (message, err) => {
    // the message is scrubbed; the error part is built from scrubbed text and code locations
    const line = scrubLogText(message) + (err === undefined ? "" : `: ${describeError(err)}`);
    (sink ?? toConsole)(line);
  };
}
