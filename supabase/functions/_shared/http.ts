// HTTP helpers shared by every function: JSON responses, CORS (the web build calls the member
// functions from a browser) and one error shape, `{"error": {"code", "message"}}`.
import { logger, type LogSink } from "./log.ts";
import { reportError } from "./report.ts";

export const corsHeaders: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "authorization, x-client-info, apikey, content-type",
  "Access-Control-Allow-Methods": "POST, OPTIONS",
  // a browser hides response headers outside the CORS safelist unless they are exposed
  "Access-Control-Expose-Headers": "Retry-After",
};

/** An error the client gets as `{"error": {"code", "message"}}` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...corsHeaders, ...headers },
  });
}

/** The error shape for `err`. An unexpected error (not an HttpError) is logged (scrubbed:
 * _shared/log.ts), reported to Sentry when SENTRY_DSN is set (scrubbed the same way:
 * _shared/report.ts) and answered 500 without details. */
export async function errorResponse(
  err: unknown,
  opts: { log?: LogSink; req?: Request } = {},
): Promise<Response> {
  if (err instanceof HttpError) {
    return json({ error: { code: err.code, message: err.message } }, err.status, err.headers);
  }
  logger(opts.log)("unexpected error", err);
  await reportError(err, { functionName: opts.req ? functionName(opts.req) : null });
  return json({ error: { code: "internal", message: "Something went wrong on our side. Please try again." } }, 500);
}

/** The function's name from the request path (/functions/v1/<name> hosted, /<name> locally). */
export function functionName(req: Request): string | null {
  const last = new URL(req.url).pathname.split("/").filter(Boolean).pop() ?? "";
  return /^[a-z][a-z0-9-]{0,62}$/.test(last) ? last : null;
}

/** Wraps a handler: CORS preflight, POST only, and errors turned into the error shape. */
export function route(handler: (req: Request) => Promise<Response>): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method === "OPTIONS") return new Response("ok", { headers: corsHeaders });
    if (req.method !== "POST") {
      return json({ error: { code: "method_not_allowed", message: "Use POST." } }, 405, { Allow: "POST, OPTIONS" });
    }
    try {
      return await handler(req);
    } catch (err) {
      return await errorResponse(err, { req });
    }
  };
}

/** The request's JSON body as an object ({} when empty); 400 when it is not a JSON object. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "The request body is not valid JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "invalid_request", "The request body must be a JSON object.");
  }
  return body as Record<string, unknown>;
}

/** Constant-time comparison of two secrets. */
export function safeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

/** For the scheduled functions: the caller must send `x-cron-secret: <CRON_SECRET>`. */
export function requireCronSecret(req: Request, secret: string): void {
  const given = req.headers.get("x-cron-secret") ?? "";
  if (!secret || !safeEqual(given, secret)) {
    throw new HttpError(401, "unauthorized", "Missing or wrong x-cron-secret.");
  }
}

/** A required environment variable (the functions fail at start-up, not mid-request). */
export function env(name: string, fallback?: string): string {
  const value = Deno.env.get(name) ?? fallback;
  if (value === undefined || value === "") throw new Error(`environment variable ${name} is not set`);
  return value;
}
