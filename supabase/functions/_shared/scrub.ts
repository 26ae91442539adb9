// The one scrubber for text that leaves a function by a side door: error reports to Sentry
// (report.ts) and every log line (log.ts), which the hosting dashboard shows to the project's
// operators. Personal data must not reach either: emails, tokens and keys, ids, quoted values
// (postgres and JSON put the offending value in quotes) and anything after "Failing row contains".
// Stack frames are code locations only (function names, files relative to supabase/functions).

/** One line with the personal data patterns taken out (no length limit). */
export function scrub(line: string): string {
  let m = line;
  m = m.replace(/Failing row contains.*$/i, "Failing row contains [redacted]");
  m = m.replace(/bearer\s+\S+/gi, "Bearer [token]");
  m = m.replace(/eyJ[\w-]*\.[\w-]+\.[\w-]*/g, "[token]");
  m = m.replace(/\b(?:sk|pk|rk|whsec)_[A-Za-z0-9_]+/g, "[key]");
  m = m.replace(/[^\s@"'`<>()[\],;:]+@[^\s@"'`<>()[\],;:]+/g, "[email]");
  m = m.replace(/"[^"]*"|'[^']*'|`[^`]*`|“[^”]*”/g, '"[redacted]"');
  m = m.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "[id]");
  m = m.replace(/[A-Za-z0-9+/=_-]{24,}/g, "[token]"); // keys, tokens, base64 of anything
  return m;
}

const cap = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** An error message for a report: first line only, scrubbed, at most 300 characters. */
export function scrubMessage(message: string): string {
  return cap(scrub(message.split(/\r?\n/)[0]), 300);
}

/** A log line: every line of `text` scrubbed, joined with " / ", at most 1000 characters. */
export function scrubLogText(text: string): string {
  return cap(text.split(/\r?\n/).map(scrub).join(" / "), 1000);
}

export interface Frame {
  function?: string;
  filename: string;
  lineno: number;
  colno: number;
  in_app: boolean;
}

/** Stack frames, oldest call first (Sentry's order), with paths relative to supabase/functions. */
export function stackFrames(stack: string | undefined): Frame[] {
  const frames: Frame[] = [];
  for (const line of (stack ?? "").split("\n")) {
    const m = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[2].replace(/^file:\/\//, "");
    const at = file.lastIndexOf("/functions/");
    const inApp = at >= 0 && !file.includes("/node_modules/");
    const filename = inApp
      ? file.slice(at + "/functions/".length)
      : file.includes("/node_modules/")
      ? `node_modules/${file.slice(file.lastIndexOf("/node_modules/") + "/node_modules/".length)}`
      : file.split("/").pop()!;
    const fn = m[1]?.replace(/[^\w.$<> ]/g, "").slice(0, 100);
    frames.push({
      ...(fn ? { function: fn } : {}),
      filename,
      lineno: Number(m[3]),
      colno: Number(m[4]),
      in_app: inApp,
    });
  }
  return frames.reverse();
}

/** An error's class name, without anything but identifier characters. */
export function errorType(err: unknown): string {
  const type = err instanceof Error ? err.constructor?.name || err.name || "Error" : typeof err;
  return type.replace(/[^\w.$]/g, "").slice(0, 100) || "Error";
}
