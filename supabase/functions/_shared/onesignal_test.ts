import { assert, assertEquals } from "./testing/assert.ts";
import {
  NOT_SUBSCRIBED,
  OneSignalClient,
  oneSignalFromEnv,
  type PushMessage,
  readErrors,
  retryAfterSeconds,
} from "./onesignal.ts";
import { FakeFetch, jsonResponse } from "./testing/fake_fetch.ts";
import { FakeOneSignal, ONESIGNAL_APP_ID, ONESIGNAL_KEY } from "./testing/fake_onesignal.ts";

const message = (ids: string[], key = crypto.randomUUID()): PushMessage => ({
  subscriptionIds: ids,
  title: "Morning protocol",
  body: "Read your affirmations aloud.",
  data: { route: "/morning" },
  idempotencyKey: key,
  ttlSeconds: 7200,
});

/** A client whose every request gets `answer`. */
function answering(answer: () => Response | Promise<Response>) {
  const net = new FakeFetch().on("POST", /api\.onesignal\.com/, answer);
  return { net, client: new OneSignalClient(ONESIGNAL_APP_ID, ONESIGNAL_KEY, net.fetch) };
}

Deno.test("onesignal: errors is read in both of its shapes", () => {
  assertEquals(readErrors(undefined), { messages: [], invalidIds: [] });
  assertEquals(readErrors([NOT_SUBSCRIBED]), { messages: [NOT_SUBSCRIBED], invalidIds: [] });
  assertEquals(readErrors({ invalid_player_ids: ["a", "b", 3] }), { messages: [], invalidIds: ["a", "b"] });
  assertEquals(readErrors({ invalid_player_ids: ["a"], invalid_aliases: { external_id: ["x"] } }), {
    messages: ['invalid_aliases: {"external_id":["x"]}'],
    invalidIds: ["a"],
  });
});

Deno.test("onesignal: Retry-After as seconds or as an HTTP date", () => {
  assertEquals(retryAfterSeconds("30"), 30);
  assertEquals(retryAfterSeconds(null), null);
  assertEquals(retryAfterSeconds("soon"), null);
  const now = Date.parse("2026-12-02T10:00:00Z");
  assertEquals(retryAfterSeconds("Wed, 02 Dec 2026 10:01:00 GMT", now), 60);
});

Deno.test("onesignal: sent; sent with some ids invalid; nothing sent because no id is valid", async () => {
  const fake = new FakeOneSignal().subscribe("good-1", "good-2");
  fake.subscriptions.set("off", false);
  const client = new OneSignalClient(ONESIGNAL_APP_ID, ONESIGNAL_KEY, fake.fetch);

  const all = await client.sendPush(message(["good-1", "good-2"]));
  assertEquals(all, { kind: "sent", notificationId: fake.notifications[0].id, invalidIds: [] });

  const some = await client.sendPush(message(["good-1", "unknown-1"]));
  assertEquals(some, { kind: "sent", notificationId: fake.notifications[1].id, invalidIds: ["unknown-1"] });

  assertEquals(await client.sendPush(message(["unknown-1", "unknown-2"])), {
    kind: "no_valid_ids",
    invalidIds: ["unknown-1", "unknown-2"],
    message: "OneSignal: no valid push subscription (invalid: unknown-1, unknown-2)",
  });
  // push turned off on the phone: OneSignal names no id, so every id of the request goes
  assertEquals(await client.sendPush(message(["off"])), {
    kind: "no_valid_ids",
    invalidIds: ["off"],
    message: `OneSignal: ${NOT_SUBSCRIBED}`,
  });
  assertEquals(fake.notifications.length, 2);
});

Deno.test("onesignal: the same idempotency key sends once and answers with the first notification", async () => {
  const fake = new FakeOneSignal().subscribe("good-1");
  const client = new OneSignalClient(ONESIGNAL_APP_ID, ONESIGNAL_KEY, fake.fetch);
  const key = crypto.randomUUID();
  const first = await client.sendPush(message(["good-1"], key));
  const again = await client.sendPush(message(["good-1"], key));
  assertEquals(again, first);
  assertEquals(fake.notifications.length, 1);
  assertEquals(fake.net.requests.length, 2);
});

Deno.test("onesignal: rate limit, provider errors, bad requests and refused keys", async () => {
  const cases: [Response, unknown][] = [
    [
      jsonResponse({ errors: ["API rate limit exceeded"] }, 429, { "Retry-After": "12" }),
      { kind: "rate_limited", retryAfterSeconds: 12, message: "OneSignal rate limit (429): API rate limit exceeded" },
    ],
    [
      jsonResponse({ errors: ["Internal Server Error"] }, 500),
      {
        kind: "error",
        status: 500,
        retryable: true,
        unauthorized: false,
        message: "OneSignal 500: Internal Server Error",
      },
    ],
    [
      new Response("<html>Bad gateway</html>", { status: 502 }),
      {
        kind: "error",
        status: 502,
        retryable: true,
        unauthorized: false,
        message: "OneSignal 502: <html>Bad gateway</html>",
      },
    ],
    [
      jsonResponse({ errors: ["Message Notifications must have English language content"] }, 400),
      {
        kind: "error",
        status: 400,
        retryable: false,
        unauthorized: false,
        message: "OneSignal 400: Message Notifications must have English language content",
      },
    ],
    [
      jsonResponse({ errors: [NOT_SUBSCRIBED] }, 400),
      { kind: "no_valid_ids", invalidIds: ["s-1"], message: `OneSignal: ${NOT_SUBSCRIBED}` },
    ],
    [
      jsonResponse({ id: "", external_id: null, errors: ["Something else went wrong"] }),
      {
        kind: "error",
        status: 200,
        retryable: false,
        unauthorized: false,
        message: "OneSignal 200: Something else went wrong",
      },
    ],
    [
      new Response("ok", { status: 200 }),
      { kind: "error", status: 200, retryable: true, unauthorized: false, message: "OneSignal 200 without JSON: ok" },
    ],
    [
      jsonResponse({ errors: ["Access denied."] }, 401),
      {
        kind: "error",
        status: 401,
        retryable: false,
        unauthorized: true,
        message: "OneSignal refused the app id or REST API key (401): Access denied.",
      },
    ],
  ];
  for (const [response, expected] of cases) {
    const { client } = answering(() => response);
    assertEquals(await client.sendPush(message(["s-1"])), expected);
  }
});

Deno.test("onesignal: no answer (network error, timeout) is worth a retry", async () => {
  const down = new OneSignalClient(ONESIGNAL_APP_ID, ONESIGNAL_KEY, () => Promise.reject(new TypeError("dns error")));
  assertEquals(await down.sendPush(message(["s"])), {
    kind: "error",
    status: 0,
    retryable: true,
    unauthorized: false,
    message: "OneSignal unreachable: TypeError: dns error",
  });
  const hanging: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
  const slow = new OneSignalClient(ONESIGNAL_APP_ID, ONESIGNAL_KEY, hanging, 20);
  const outcome = await slow.sendPush(message(["s"]));
  assertEquals([outcome.kind, (outcome as { retryable: boolean }).retryable], ["error", true]);
  assert((outcome as { message: string }).message.startsWith("OneSignal unreachable: TimeoutError"));
});

Deno.test("onesignal: the key goes in the Authorization header and nowhere else", async () => {
  const secret = "os_v2_app_very_secret";
  const { net, client } = answering(() => jsonResponse({ errors: ["Access denied."] }, 403));
  const outcome = await client.sendPush(message(["s"]));
  assertEquals(net.requests[0].headers.get("Authorization"), `Key ${ONESIGNAL_KEY}`);
  assert(!net.requests[0].body.includes(ONESIGNAL_KEY));
  assert(!JSON.stringify(outcome).includes(ONESIGNAL_KEY));
  const other = new OneSignalClient(ONESIGNAL_APP_ID, secret, net.fetch);
  assert(!JSON.stringify(other).includes(secret), "JSON shows the key");
  assert(!Deno.inspect(other, { depth: 5 }).includes(secret), "the printed client shows the key");
  assert(!String(other).includes(secret));
});

Deno.test("onesignal: configured from the environment: both set, none set (push off), one set (an error)", () => {
  const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
  assertEquals(oneSignalFromEnv(envOf({})), null);
  const client = oneSignalFromEnv(envOf({ ONESIGNAL_APP_ID: "app", ONESIGNAL_REST_API_KEY: "key-123" }));
  assertEquals(client?.appId, "app");
  for (
    const [vars, missing] of [
      [{ ONESIGNAL_APP_ID: "app" }, "only ONESIGNAL_APP_ID is set"],
      [{ ONESIGNAL_REST_API_KEY: "key-123" }, "only ONESIGNAL_REST_API_KEY is set"],
    ] as const
  ) {
    let message = "";
    try {
      oneSignalFromEnv(envOf(vars));
    } catch (err) {
      message = (err as Error).message;
    }
    assert(message.includes(missing), message);
    assert(!message.includes("key-123"));
  }
});
