// Error reports: an unexpected error of an edge function (the 500 path of http.ts errorResponse)
// goes to Sentry when SENTRY_DSN is set, through Sentry's envelope endpoint
// (POST {scheme}://{host}{path}/api/{project_id}/envelope/ with X-Sentry-Auth; the DSN is
// {scheme}://{public_key}@{host}{path}/{project_id}). A hand-built envelope rather than the SDK:
// the SDK collects request data, breadcrumbs (console lines) and context we would then have to
// scrub after the fact; here an event carries only what is listed below.
//
// What a report holds: the error's class name, its message scrubbed (scrub.ts scrubMessage: emails,
// tokens and keys, ids, quoted values and anything after "Failing row contains" removed; first
// line, 300 characters), the stack's function names, files (relative to supabase/functions) and
// line numbers, the function's name, the environment and release. Never: request headers or
// bodies, the member, their email or name, affirmation text, the error's extra fields
// (postgres errors carry the failing row in `detail`), the `cause` chain.

import { errorType, scrubMessage, stackFrames } from "./scrub.ts";
import { logger } from "./log.ts";

export { scrubMessage, stackFrames } from "./scrub.ts";

const log = logger();

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

/** The Sentry event for `err` (only the fields listed at the top of this file). */
export function buildEvent(err: unknown, context: { functionName?: string | null }, c: ReportConfig) {
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
        type: errorType(err),
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
    if (!res.ok) log(`error report refused: HTTP ${res.status}`);
    return res.ok;
  } catch (e) {
    log("error report not sent", e);
    return false;
  }
}
