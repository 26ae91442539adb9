// OneSignal REST API: one push notification to a member's phones (docs/push.md).
// POST https://api.onesignal.com/notifications?c=push, header `Authorization: Key <REST API key>`,
// body {app_id, target_channel: "push", include_subscription_ids, headings, contents, data,
// idempotency_key, ttl}. OneSignal creates one notification per idempotency key (for 30 days),
// so sending the same reminder again after a timeout never reaches the phone twice.
//
// Answers, turned into one PushOutcome:
// - 200 {"id": "<uuid>", "errors"?: {"invalid_player_ids": [...]}}: sent; the listed
//   subscription ids are not valid (partial success);
// - 200 {"id": "", "errors": [...] | {...}}: nothing was sent ("All included players are not
//   subscribed": none of the ids can receive push; invalid_player_ids: those ids are unknown);
// - 400 {"errors": [...]}: a bad request, not worth repeating; 401/403: the key was refused;
// - 429 (Retry-After): rate limited; 5xx, no answer, or an answer that is not JSON: worth a retry.
// The REST API key is a private field: it is sent in the header and nowhere else (not in error
// messages, not in logs, not in the object's printed form).

export const ONESIGNAL_API = "https://api.onesignal.com";
export const NOT_SUBSCRIBED = "All included players are not subscribed";

export interface PushMessage {
  subscriptionIds: string[];
  title: string;
  body: string;
  /** Handed to the app with the tap (the route it opens). */
  data: Record<string, string>;
  /** A uuid, the same for every attempt at this message. */
  idempotencyKey: string;
  /** How long the provider keeps trying to reach an offline phone, in seconds. */
  ttlSeconds: number;
}

export type PushOutcome =
  /** Sent to the valid ids; `invalidIds` (maybe empty) are not valid registrations. */
  | { kind: "sent"; notificationId: string; invalidIds: string[] }
  /** Nothing was sent because no id could receive it; `invalidIds` are the ones to forget. */
  | { kind: "no_valid_ids"; invalidIds: string[]; message: string }
  | { kind: "rate_limited"; retryAfterSeconds: number | null; message: string }
  /** status 0: no answer (network, timeout). `unauthorized`: the app id or key was refused. */
  | { kind: "error"; status: number; retryable: boolean; unauthorized: boolean; message: string };

/** The messages and invalid ids of OneSignal's `errors`, which is either a list of strings or an object. */
export function readErrors(errors: unknown): { messages: string[]; invalidIds: string[] } {
  if (errors === undefined || errors === null) return { messages: [], invalidIds: [] };
  if (Array.isArray(errors)) {
    return { messages: errors.map((e) => (typeof e === "string" ? e : JSON.stringify(e))), invalidIds: [] };
  }
  if (typeof errors === "object") {
    const { invalid_player_ids: ids, ...rest } = errors as Record<string, unknown>;
    const invalidIds = Array.isArray(ids) ? ids.filter((x): x is string => typeof x === "string") : [];
    const messages = Object.entries(rest).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
    return { messages, invalidIds };
  }
  return { messages: [String(errors)], invalidIds: [] };
}

/** Retry-After as seconds: a number of seconds or an HTTP date (null when absent or unreadable). */
export function retryAfterSeconds(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export class OneSignalClient {
  readonly #apiKey: string;

  constructor(
    readonly appId: string,
    apiKey: string,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly timeoutMs = 15_000,
  ) {
    if (!appId || !apiKey) throw new Error("OneSignal needs an app id and a REST API key");
    this.#apiKey = apiKey;
  }

  async sendPush(m: PushMessage): Promise<PushOutcome> {
    const body = {
      app_id: this.appId,
      target_channel: "push",
      include_subscription_ids: m.subscriptionIds,
      headings: { en: m.title },
      contents: { en: m.body },
      data: m.data,
      idempotency_key: m.idempotencyKey,
      ttl: m.ttlSeconds,
    };
    let res: Response;
    try {
      res = await this.fetchFn(`${ONESIGNAL_API}/notifications?c=push`, {
        method: "POST",
        headers: {
          Authorization: `Key ${this.#apiKey}`,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return {
        kind: "error",
        status: 0,
        retryable: true,
        unauthorized: false,
        message: `OneSignal unreachable: ${why}`,
      };
    }
    const text = await res.text().catch(() => "");
    let data: Record<string, unknown> | null = null;
    try {
      const parsed = text ? JSON.parse(text) : null;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) data = parsed;
    } catch { /* not JSON */ }
    const { messages, invalidIds } = readErrors(data?.errors);
    const said = messages.length ? messages.join("; ") : text.slice(0, 300);
    const status = res.status;

    if (status === 429) {
      return {
        kind: "rate_limited",
        retryAfterSeconds: retryAfterSeconds(res.headers.get("Retry-After")),
        message: `OneSignal rate limit (429)${said ? `: ${said}` : ""}`,
      };
    }
    if (status >= 500) {
      return { kind: "error", status, retryable: true, unauthorized: false, message: `OneSignal ${status}: ${said}` };
    }
    if (status === 401 || status === 403) {
      return {
        kind: "error",
        status,
        retryable: false,
        unauthorized: true,
        message: `OneSignal refused the app id or REST API key (${status}): ${said}`,
      };
    }
    if (res.ok && data === null) {
      // it may have been created; the idempotency key makes asking again safe
      return {
        kind: "error",
        status,
        retryable: true,
        unauthorized: false,
        message: `OneSignal ${status} without JSON: ${said}`,
      };
    }
    if (res.ok && typeof data?.id === "string" && data.id !== "") {
      return { kind: "sent", notificationId: data.id, invalidIds };
    }
    if (res.ok || status === 400) {
      // nothing was sent: because no id can receive push, or because the request was wrong
      if (messages.includes(NOT_SUBSCRIBED)) {
        return { kind: "no_valid_ids", invalidIds: [...m.subscriptionIds], message: `OneSignal: ${said}` };
      }
      if (invalidIds.length) {
        return {
          kind: "no_valid_ids",
          invalidIds,
          message: `OneSignal: no valid push subscription (invalid: ${invalidIds.join(", ")})`,
        };
      }
      return {
        kind: "error",
        status,
        retryable: false,
        unauthorized: false,
        message: `OneSignal ${status}: ${said || "no notification was created"}`,
      };
    }
    return { kind: "error", status, retryable: false, unauthorized: false, message: `OneSignal ${status}: ${said}` };
  }
}

/**
 * The client for ONESIGNAL_APP_ID and ONESIGNAL_REST_API_KEY, or null when neither is set
 * (push is optional). Only one of the two set is a configuration mistake and fails loudly.
 */
export function oneSignalFromEnv(
  get: (name: string) => string | undefined,
  fetchFn: typeof fetch = fetch,
): OneSignalClient | null {
  const appId = get("ONESIGNAL_APP_ID") ?? "";
  const key = get("ONESIGNAL_REST_API_KEY") ?? "";
  if (!appId && !key) return null;
  if (!appId || !key) {
    throw new Error(
      `push needs both ONESIGNAL_APP_ID and ONESIGNAL_REST_API_KEY; only ${
        appId ? "ONESIGNAL_APP_ID" : "ONESIGNAL_REST_API_KEY"
      } is set`,
    );
  }
  return new OneSignalClient(appId, key, fetchFn);
}
