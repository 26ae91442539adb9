// OneSignal's REST API at the fetch boundary (POST /notifications?c=push), with the documented
// request and response shapes: the `Authorization: Key <key>` header, one notification per
// idempotency_key (a repeat gets the first answer and sends nothing), 200 with
// {"id", "external_id": null} and, when some ids are unknown, "errors": {"invalid_player_ids"};
// 200 with "id": "" when nothing was sent; 400 {"errors": [...]} for a bad request.
import { FakeFetch, jsonResponse, Recorded } from "./fake_fetch.ts";

export const ONESIGNAL_APP_ID = "5eb5a37e-b458-11e3-ac11-000c2940e62c";
export const ONESIGNAL_KEY = "os_v2_app_test_key";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export interface SentNotification {
  id: string;
  idempotencyKey: string;
  subscriptionIds: string[]; // the ones it went to
  body: Record<string, unknown>;
}

export class FakeOneSignal {
  /** Push subscriptions the app knows: true = subscribed, false = the phone turned push off. */
  subscriptions = new Map<string, boolean>();
  notifications: SentNotification[] = [];
  /** The first answer per idempotency key (a repeat gets it again). */
  private answers = new Map<string, { status: number; body: Record<string, unknown> }>();
  failWith: ((req: Recorded) => Response | null) | null = null;

  constructor(readonly net: FakeFetch = new FakeFetch()) {
    net.on("POST", /^https:\/\/api\.onesignal\.com\/notifications(\?.*)?$/, (req) => {
      if (req.headers.get("Authorization") !== `Key ${ONESIGNAL_KEY}`) {
        return jsonResponse({ errors: ["Access denied.  Please include an 'Authorization: Key ...' header."] }, 403);
      }
      return this.failWith?.(req) ?? this.create(req);
    });
  }

  subscribe(...ids: string[]): this {
    for (const id of ids) this.subscriptions.set(id, true);
    return this;
  }

  /** What a notification request does; exported for failWith hooks that answer after sending. */
  create(req: Recorded): Response {
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(req.body);
    } catch {
      return jsonResponse({ errors: ["Invalid JSON"] }, 400);
    }
    if (b.app_id !== ONESIGNAL_APP_ID) {
      return jsonResponse(
        { errors: ["app_id not found. You may be missing a Content-Type: application/json header."] },
        400,
      );
    }
    const key = b.idempotency_key;
    if (key !== undefined && (typeof key !== "string" || !UUID.test(key))) {
      return jsonResponse({ errors: ["idempotency_key must be a valid UUID"] }, 400);
    }
    const previous = typeof key === "string" ? this.answers.get(key) : undefined;
    if (previous) return jsonResponse(previous.body, previous.status);
    const contents = b.contents as Record<string, unknown> | undefined;
    if (typeof contents?.en !== "string" || contents.en === "") {
      return jsonResponse({ errors: ["Message Notifications must have English language content"] }, 400);
    }
    const ids = b.include_subscription_ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((x) => typeof x !== "string")) {
      return jsonResponse({
        errors: ["You must include which players, segments, or tags you wish to send this notification to."],
      }, 400);
    }
    const unknown = ids.filter((id) => !this.subscriptions.has(id));
    const reachable = ids.filter((id) => this.subscriptions.get(id) === true);
    let answer: { status: number; body: Record<string, unknown> };
    if (reachable.length) {
      const id = crypto.randomUUID();
      this.notifications.push({ id, idempotencyKey: String(key), subscriptionIds: reachable, body: b });
      answer = {
        status: 200,
        body: unknown.length
          ? { id, external_id: null, errors: { invalid_player_ids: unknown } }
          : { id, external_id: null },
      };
    } else if (unknown.length === ids.length) {
      answer = { status: 200, body: { id: "", external_id: null, errors: { invalid_player_ids: unknown } } };
    } else {
      answer = {
        status: 200,
        body: { id: "", external_id: null, errors: ["All included players are not subscribed"] },
      };
    }
    if (typeof key === "string") this.answers.set(key, answer);
    return jsonResponse(answer.body, answer.status);
  }

  get fetch(): typeof fetch {
    return this.net.fetch;
  }
}
