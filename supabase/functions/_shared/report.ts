// Error reports: an unexpected error of an edge function (the 500 path of http.ts errorResponse)
// goes to Sentry when SENTRY_DSN is set, through Sentry's envelope endpoint
// (POST {scheme}://{host}{path}/api/{project_id}/envelope/ with X-Sentry-Auth; the DSN is
// {scheme}://{public_key}@{host}{path}/{project_id}). A hand-built envelope rather than the SDK:
// the SDK collects request data, breadcrumbs (console lines) and context we would then have to
// scrub after the fact; here an event carries only what is listed below.
//
// What a report holds: the error's class name, its message scrubbed (scrubMessage: emails,
// tokens and keys, ids, quoted values and anything after "Failing row contains" removed; first
// line, 300 characters), the stack's function names, files (relative to supabase/functions) and
// line numbers, the function's name, the environment and release. Never: request headers or
// bodies, the member, their email or name, affirmation text, the error's extra fields
// (postgres errors carry the failing row in `detail`), the `cause` chain.

export interface ReportConfig {
  dsn: string;
  environment?: string;
  release?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export const SDK = { name: "chris-disciplined.edge-functions", version: "1.0.0" };

let config: ReportConfig | null | undefined; // undefined: not read from the environment yet

/** Sets (or with null, turns off) where reports go; by default they follow SENTRY_DSN. */
export function configureReports(c: ReportConfig | null): void {
  config = c;
}

function envOrNull(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env (tests): reports are off unless configured
  }
}

function current(): ReportConfig | null {
  if (config === undefined) {
    const dsn = envOrNull("SENTRY_DSN");
    config = dsn ? { dsn, environment: envOrNull("SENTRY_ENVIRONMENT"), release: envOrNull("SENTRY_RELEASE") } : null;
  }
  return config;
}

export interface Dsn {
  publicKey: string;
  envelopeUrl: string;
}

/** Sentry's DSN rules: the public key is the user part, the project id the last path segment. */
export function parseDsn(dsn: string): Dsn {
  const url = new URL(dsn);
  const parts = url.pathname.split("/").filter(Boolean);
  const project = parts.pop();
  if (!url.username || !project || !/^\d+$/.test(project) || !/^https?:$/.test(url.protocol)) {
    throw new Error("SENTRY_DSN is not a Sentry DSN (https://<key>@<host>/<project id>)");
  }
  const path = parts.length ? `/${parts.join("/")}` : "";
  return { publicKey: url.username, envelopeUrl: `${url.protocol}//${url.host}${path}/api/${project}/envelope/` };
}

/** A message with the personal data patterns taken out; first line only, at most 300 characters. */
export function scrubMessage(message: string): string {
  let m = message.split(/\r?\n/)[0];
  m = m.replace(/Failing row contains.*$/i, "Failing row contains [redacted]");
  m = m.replace(/bearer\s+\S+/gi, "Bearer [token]");
  m = m.replace(/eyJ[\w-]*\.[\w-]+\.[\w-]*/g, "[token]");
  m = m.replace(/\b(?:sk|pk|rk|whsec)_[A-Za-z0-9_]+/g, "[key]");
  m = m.replace(/[^\s@"'`<>()[\],;:]+@[^\s@"'`<>()[\],;:]+/g, "[email]");
  m = m.replace(/"[^"]*"|'[^']*'|`[^`]*`|“[^”]*”/g, '"[redacted]"');
  m = m.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "[id]");
  m = m.replace(/[A-Za-z0-9+/=_-]{24,}/g, "[token]"); // keys, tokens, base64 of anything
  return m.length > 300 ? `${m.slice(0, 299)}…` : m;
}

interface Frame {
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

/** The Sentry event for `err` (only the fields listed at the top of this file). */
export function buildEvent(err: unknown, context: { functionName?: string | null }, c: ReportConfig) {
  const type = err instanceof Error ? err.constructor?.name || err.name || "Error" : typeof err;
  const value = err instanceof Error ? scrubMessage(err.message) : "a non-Error value was thrown";
  return {
    event_id: crypto.randomUUID().replaceAll("-", ""),
    timestamp: Date.now() / 1000,
    platform: "javascript",
    level: "error",
    logger: "edge-functions",
    ...(c.environment ? { environment: c.environment } : {}),
    ...(c.release ? { release: c.release } : {}),
    tags: { function: context.functionName ?? "unknown", runtime: "deno" },
    contexts: { runtime: { name: "deno", version: Deno.version.deno } },
    exception: {
      values: [{
        type: type.replace(/[^\w.$]/g, "").slice(0, 100) || "Error",
        value,
        stacktrace: { frames: err instanceof Error ? stackFrames(err.stack) : [] },
      }],
    },
    sdk: SDK,
  };
}

/** The envelope: its header, the event item's header (length in UTF-8 bytes) and the event. */
export function envelope(event: { event_id: string }, dsn: string): string {
  const payload = JSON.stringify(event);
  const header = JSON.stringify({ event_id: event.event_id, sent_at: new Date().toISOString(), dsn, sdk: SDK });
  const item = JSON.stringify({
    type: "event",
    content_type: "application/json",
    length: new TextEncoder().encode(payload).length,
  });
  return `${header}\n${item}\n${payload}\n`;
}

/** Sends a report of `err` when reports are on; never throws (a report must not fail the reply). */
export async function reportError(err: unknown, context: { functionName?: string | null } = {}): Promise<boolean> {
  const c = current();
  if (!c) return false;
  try {
    const dsn = parseDsn(c.dsn);
    const res = await (c.fetch ?? fetch)(dsn.envelopeUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-sentry-envelope",
        "X-Sentry-Auth":
          `Sentry sentry_version=7, sentry_client=${SDK.name}/${SDK.version}, sentry_key=${dsn.publicKey}`,
      },
      body: envelope(buildEvent(err, context, c), c.dsn),
      signal: AbortSignal.timeout(c.timeoutMs ?? 3_000),
    });
    await res.body?.cancel();
    if (!res.ok) console.error(`error report refused: HTTP ${res.status}`);
    return res.ok;
  } catch (e) {
    console.error(`error report not sent: ${e instanceof Error ? e.message : e}`);
    return false;
  }
}
