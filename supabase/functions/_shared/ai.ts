// The AI functions' common path: member (admitted within their request rate, member.ts) → daily
// quota (in the database, atomic) → OpenAI Chat Completions with a strict JSON schema →
// validation → the function's own save, if any.
// A provider error, a timeout or an output that fails validation gives the client a clear
// error (502/504), gives the quota unit back, and saves nothing.
import type { Authenticate, Member } from "./auth.ts";
import type { AiFeature, Db } from "./db.ts";
import { HttpError, json, readJsonObject, route } from "./http.ts";
import { logger } from "./log.ts";
import { admitMember } from "./member.ts";
import { providerSchema, type Schema, validate } from "./schema.ts";

export const OPENAI_URL = "https://api.openai.com/v1/chat/completions";

const log = logger();

/** What kind of error OpenAI answered ({"error": {"type", "code"}}), never its message: that
 * can quote the member's prompt or audio transcript back. */
export function providerErrorKind(body: string): string {
  try {
    const e = JSON.parse(body)?.error;
    const words = [e?.type, e?.code].filter((w) => typeof w === "string" && /^[\w.-]{1,60}$/.test(w));
    return words.length ? words.join(", ") : "no error type";
  } catch {
    return "not JSON";
  }
}

export interface AiDeps {
  db: Db;
  authenticate: Authenticate;
  openaiKey: string;
  model: string;
  dailyLimit: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Prompt {
  system: string;
  user: string;
}

/** Calls the model with a strict JSON schema and returns the validated output. */
export async function completeJson<T>(deps: AiDeps, name: string, schema: Schema, prompt: Prompt): Promise<T> {
  const fetchFn = deps.fetch ?? fetch;
  let res: Response;
  try {
    res = await fetchFn(OPENAI_URL, {
      method: "POST",
      headers: { Authorization: `Bearer ${deps.openaiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        model: deps.model,
        messages: [{ role: "system", content: prompt.system }, { role: "user", content: prompt.user }],
        response_format: { type: "json_schema", json_schema: { name, strict: true, schema: providerSchema(schema) } },
      }),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 25_000),
    });
  } catch (err) {
    if (err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError")) {
      throw new HttpError(504, "ai_timeout", "The AI coach took too long to answer. Please try again.");
    }
    throw new HttpError(502, "ai_unavailable", "The AI coach is unreachable right now. Please try again.");
  }
  if (!res.ok) {
    const detail = await res.text().catch(() => "");
    log(`openai ${res.status}: ${providerErrorKind(detail)}`);
    throw new HttpError(
      502,
      "ai_unavailable",
      res.status === 429
        ? "The AI coach is busy right now. Please try again in a minute."
        : "The AI coach is unavailable right now. Please try again.",
    );
  }
  let content: unknown;
  try {
    const data = await res.json();
    const message = data?.choices?.[0]?.message;
    if (message?.refusal) {
      throw new HttpError(502, "ai_refused", "The AI coach declined this request. Try rewording it.");
    }
    if (data?.choices?.[0]?.finish_reason === "length") throw new Error("output truncated");
    content = JSON.parse(message?.content ?? "");
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(502, "ai_invalid_output", "The AI coach gave an unusable answer. Please try again.");
  }
  const errors = validate(schema, content);
  if (errors.length) {
    log(`openai output rejected: ${errors.slice(0, 5).join("; ")}`);
    throw new HttpError(502, "ai_invalid_output", "The AI coach gave an unusable answer. Please try again.");
  }
  return content as T;
}

/** Whole seconds from `now` to the next UTC midnight (at least 1). */
export function secondsToUtcMidnight(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/** The shared request flow: `parse` checks the body (400 before any quota is used), `run`
 * does the prompt, the call and the save for one feature. */
export function makeAiHandler<P>(
  deps: AiDeps,
  feature: AiFeature,
  parse: (body: Record<string, unknown>) => P,
  run: (member: Member, params: P) => Promise<unknown>,
): (req: Request) => Promise<Response> {
  return route(async (req) => {
    const member = await admitMember(deps, req);
    const params = parse(await readJsonObject(req));
    if (!(await deps.db.consumeAiQuota(member.id, feature, deps.dailyLimit))) {
      throw new HttpError(
        429,
        "quota_exceeded",
        `You have used today's ${deps.dailyLimit} AI requests for this feature. More tomorrow.`,
        { "Retry-After": String(secondsToUtcMidnight(new Date())) }, // the quota's day is the UTC day
      );
    }
    try {
      return json(await run(member, params));
    } catch (err) {
      await deps.db.refundAiQuota(member.id, feature).catch((e) => log("quota refund failed", e));
      throw err;
    }
  });
}

/** Reads an optional string field of the body, trimmed and bounded; 400 otherwise. */
export function textField(
  body: Record<string, unknown>,
  key: string,
  opts: { required?: boolean; max: number },
): string | null {
  const v = body[key];
  if (v === undefined || v === null || v === "") {
    if (opts.required) throw new HttpError(400, "invalid_request", `"${key}" is required.`);
    return null;
  }
  if (typeof v !== "string" || v.trim().length === 0 || v.length > opts.max) {
    throw new HttpError(400, "invalid_request", `"${key}" must be text of at most ${opts.max} characters.`);
  }
  return v.trim();
}

export function aiConfigFromEnv(env: (name: string, fallback?: string) => string) {
  return {
    openaiKey: env("OPENAI_API_KEY"),
    model: env("OPENAI_MODEL"),
    dailyLimit: Number(env("AI_DAILY_LIMIT", "10")),
    timeoutMs: Number(env("OPENAI_TIMEOUT_MS", "25000")),
  };
}
