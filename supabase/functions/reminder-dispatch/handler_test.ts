import { assert, assertEquals } from "../_shared/testing/assert.ts";
import { makeReminderDispatchHandler } from "./handler.ts";
import { KitClient } from "../_shared/kit.ts";
import type { ReminderJob } from "../_shared/db.ts";
import { MemoryDb } from "../_shared/testing/memory_db.ts";
import { FakeKit, KIT_KEY } from "../_shared/testing/fake_kit.ts";
import { FakeFetch, jsonResponse } from "../_shared/testing/fake_fetch.ts";
import { OneSignalClient } from "../_shared/onesignal.ts";
import { FakeOneSignal, ONESIGNAL_APP_ID, ONESIGNAL_KEY } from "../_shared/testing/fake_onesignal.ts";

const TAGS = { morning_reminder: "501", evening_reminder: "502" };

function reminder(
  id: number,
  email: string | null,
  kind: ReminderJob["kind"] = "morning_reminder",
  channel: "email" | "push" = "email",
) {
  return {
    id,
    userId: crypto.randomUUID(),
    kind,
    channel,
    protocolDay: "2026-11-26",
    deepLink: kind === "morning_reminder" ? "chrisapp://open/morning" : "chrisapp://open/evening",
    attempts: 0,
    email,
    fullName: "Chris",
    memberCode: "047",
    idempotencyKey: crypto.randomUUID(),
    status: "pending" as const,
    lastError: null,
  };
}

function setup(opts: { batchSize?: number; push?: boolean; concurrency?: number; pushKey?: string } = {}) {
  const db = new MemoryDb();
  const net = new FakeFetch(); // Kit and OneSignal behind one network, as in production
  const kit = new FakeKit(net);
  const onesignal = new FakeOneSignal(net);
  const logs: string[] = [];
  const handler = makeReminderDispatchHandler({
    db,
    kit: new KitClient(KIT_KEY, net.fetch),
    push: opts.push ? new OneSignalClient(ONESIGNAL_APP_ID, opts.pushKey ?? ONESIGNAL_KEY, net.fetch) : null,
    cronSecret: "cron-secret",
    tags: TAGS,
    batchSize: opts.batchSize ?? 2,
    concurrency: opts.concurrency,
    log: (m) => logs.push(m),
  });
  return { db, kit, onesignal, net, logs, handler };
}

const run = async (handler: (r: Request) => Promise<Response>, secret = "cron-secret") => {
  const res = await handler(
    new Request("http://localhost/reminder-dispatch", { method: "POST", headers: { "x-cron-secret": secret } }),
  );
  return { status: res.status, body: await res.json() };
};

Deno.test("reminders: email reminders are sent through Kit by tag and marked sent; without OneSignal push rows are left alone", async () => {
  const { db, kit, handler } = setup();
  kit.subscribers.set("a@example.com", {
    id: 1,
    first_name: "A",
    email_address: "a@example.com",
    state: "active",
    fields: {},
  });
  db.reminders.push(
    reminder(1, "a@example.com"),
    reminder(2, "b@example.com", "evening_reminder"),
    reminder(3, "a@example.com", "morning_reminder", "push"),
    reminder(4, "c@example.com"),
  );
  const r = await run(handler);
  assertEquals(r, {
    status: 200,
    body: {
      claimed: 3,
      sent: 3,
      failed: 0,
      rate_limited: false,
      email: { claimed: 3, sent: 3, failed: 0, rate_limited: false },
      push: null,
    },
  });
  // without OneSignal configured only the email sender says it is alive
  assertEquals(db.heartbeats, ["email"]);
  assertEquals(kit.tags.get("501"), ["a@example.com", "c@example.com"]);
  assertEquals(kit.tags.get("502"), ["b@example.com"]);
  assertEquals(db.reminders.map((x) => x.status), ["sent", "sent", "pending", "sent"]);
  // a member Kit did not know yet was created first (upsert), then tagged
  const calls = kit.net.requests.filter((q) => q.body.includes("b@example.com")).map((q) =>
    `${q.method} ${q.url.pathname} ${q.body}`
  );
  assertEquals(calls, [
    'POST /v4/tags/502/subscribers {"email_address":"b@example.com"}',
    'POST /v4/subscribers {"email_address":"b@example.com","first_name":"Chris","state":"active"}',
    'POST /v4/tags/502/subscribers {"email_address":"b@example.com"}',
  ]);
  for (const q of kit.net.requests) assertEquals(q.headers.get("X-Kit-Api-Key"), KIT_KEY);
  assertEquals(kit.net.to(/onesignal/).length, 0);
  // nothing left: a second run sends nothing again
  assertEquals((await run(handler)).body.claimed, 0);
});

Deno.test("reminders: two runners at once never send the same reminder", async () => {
  const { db, kit, handler } = setup({ batchSize: 3 });
  for (let i = 1; i <= 10; i++) db.reminders.push(reminder(i, `m${i}@example.com`));
  for (let i = 1; i <= 10; i++) {
    kit.subscribers.set(`m${i}@example.com`, {
      id: i,
      first_name: null,
      email_address: `m${i}@example.com`,
      state: "active",
      fields: {},
    });
  }
  const [a, b] = await Promise.all([run(handler), run(handler)]);
  assertEquals(a.body.sent + b.body.sent, 10);
  const tagged = kit.tags.get("501")!;
  assertEquals(tagged.length, 10);
  assertEquals(new Set(tagged).size, 10);
});

Deno.test("reminders: a failed send goes back for a retry, and gives up after 5 attempts", async () => {
  const { db, kit, handler } = setup();
  db.reminders.push(reminder(1, "x@example.com"));
  kit.failWith = () => jsonResponse({ errors: ["Internal server error"] }, 500);
  for (let attempt = 1; attempt <= 5; attempt++) {
    const r = await run(handler);
    assertEquals(r.body.failed, 1);
    assertEquals(db.reminders[0].attempts, attempt);
    assertEquals(db.reminders[0].status, attempt < 5 ? "pending" : "failed");
  }
  assert(db.reminders[0].lastError?.includes("500"));
  assertEquals((await run(handler)).body.claimed, 0);
});

Deno.test("reminders: Kit's rate limit stops the run; the rest wait for the next run", async () => {
  const { db, kit, handler } = setup({ batchSize: 10 });
  for (let i = 1; i <= 4; i++) db.reminders.push(reminder(i, `m${i}@example.com`));
  kit.failWith = () => jsonResponse({ errors: ["Rate limit hit"] }, 429, { "Retry-After": "60" });
  const r = await run(handler);
  assertEquals(r.body.rate_limited, true);
  assertEquals(r.body.sent, 0);
  assertEquals(db.reminders.every((x) => x.status === "pending"), true);
});

Deno.test("reminders: a member without an email address is marked failed-for-retry with a reason", async () => {
  const { db, handler } = setup();
  db.reminders.push(reminder(1, null));
  assertEquals((await run(handler)).body.failed, 1);
  assertEquals(db.reminders[0].lastError, "member has no email address");
});

Deno.test("reminders: without the cron secret nothing is claimed", async () => {
  const { db, handler } = setup();
  db.reminders.push(reminder(1, "a@example.com"));
  assertEquals((await run(handler, "guess")).status, 401);
  assertEquals(db.reminders[0].status, "pending");
});

// ---- push through OneSignal ----

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function pushReminder(id: number, userId: string, kind: ReminderJob["kind"] = "morning_reminder") {
  return { ...reminder(id, `${userId.slice(0, 8)}@example.com`, kind, "push"), userId };
}

/** A member's phone registered in push_devices; `known` false: OneSignal does not know the id. */
function phone(
  ctx: { db: MemoryDb; onesignal: FakeOneSignal },
  userId: string,
  subscriptionId: string,
  opts: { known?: boolean; subscribed?: boolean; platform?: "android" | "ios" } = {},
) {
  ctx.db.pushDevices.push({ userId, subscriptionId, platform: opts.platform ?? "android" });
  if (opts.known ?? true) ctx.onesignal.subscriptions.set(subscriptionId, opts.subscribed ?? true);
}

const pushRequests = (net: FakeFetch) => net.to(/^https:\/\/api\.onesignal\.com\//);

Deno.test("push: a reminder goes to the member's phones through OneSignal, exactly as documented, and is marked sent", async () => {
  const ctx = setup({ push: true });
  const { db, onesignal, net, handler } = ctx;
  const member = crypto.randomUUID();
  phone(ctx, member, "1dd608f2-c6a1-11e3-851d-000c2940e62c");
  phone(ctx, member, "2dd608f2-c6a1-11e3-851d-000c2940e62c", { platform: "ios" });
  const row = pushReminder(1, member);
  db.reminders.push(row, reminder(2, "mail@example.com"));
  kitKnows(ctx.kit, "mail@example.com");

  const r = await run(handler);
  assertEquals(r.status, 200);
  assertEquals(r.body, {
    claimed: 2,
    sent: 2,
    failed: 0,
    rate_limited: false,
    email: { claimed: 1, sent: 1, failed: 0, rate_limited: false },
    push: { claimed: 1, sent: 1, failed: 0, rate_limited: false, unauthorized: false, devices_forgotten: 0 },
  });
  assertEquals(db.heartbeats.sort(), ["email", "push"]);

  const [req, ...more] = pushRequests(net);
  assertEquals(more.length, 0);
  assertEquals(req.method, "POST");
  assertEquals(req.url.href, "https://api.onesignal.com/notifications?c=push");
  assertEquals(req.headers.get("Authorization"), `Key ${ONESIGNAL_KEY}`);
  assertEquals(req.headers.get("Content-Type"), "application/json");
  assertEquals(req.headers.get("Accept"), "application/json");
  assertEquals(JSON.parse(req.body), {
    app_id: ONESIGNAL_APP_ID,
    target_channel: "push",
    include_subscription_ids: ["1dd608f2-c6a1-11e3-851d-000c2940e62c", "2dd608f2-c6a1-11e3-851d-000c2940e62c"],
    headings: { en: "Morning protocol" },
    contents: { en: "Read your affirmations aloud, look at your board, pick today's bold move." },
    data: { route: "/morning" },
    idempotency_key: row.idempotencyKey,
    ttl: 7200,
  });
  assert(UUID.test(row.idempotencyKey));
  assertEquals(onesignal.notifications.length, 1);
  assertEquals(db.reminders.map((x) => `${x.channel}:${x.status}`), ["push:sent", "email:sent"]);
  assertEquals(db.pushDevices.length, 2); // nothing forgotten
  assertEquals((await run(handler)).body.claimed, 0);
});

Deno.test("push: the evening reminder has the evening's words and opens /evening", async () => {
  const ctx = setup({ push: true });
  const member = crypto.randomUUID();
  phone(ctx, member, "sub-evening-1");
  ctx.db.reminders.push(pushReminder(1, member, "evening_reminder"));
  assertEquals((await run(ctx.handler)).body.push.sent, 1);
  const body = JSON.parse(pushRequests(ctx.net)[0].body);
  assertEquals([body.headings.en, body.contents.en, body.data], [
    "Evening review",
    "Did you do it? Rate your discipline and write down your biggest win.",
    { route: "/evening" },
  ]);
});

Deno.test("push: without OneSignal configured, push rows are untouched and push sends no heartbeat", async () => {
  const ctx = setup({ push: false });
  const member = crypto.randomUUID();
  phone(ctx, member, "sub-1");
  ctx.db.reminders.push(pushReminder(1, member));
  const r = await run(ctx.handler);
  assertEquals([r.body.claimed, r.body.push], [0, null]);
  assertEquals(ctx.db.heartbeats, ["email"]);
  assertEquals(ctx.db.reminders[0].status, "pending");
  assertEquals(ctx.db.reminders[0].attempts, 0);
  assertEquals(pushRequests(ctx.net).length, 0);
});

Deno.test("push: ids OneSignal calls invalid are forgotten; the reminder still reaches the valid phone", async () => {
  const ctx = setup({ push: true });
  const member = crypto.randomUUID();
  const other = crypto.randomUUID();
  phone(ctx, member, "sub-good");
  phone(ctx, member, "sub-gone", { known: false }); // the app was uninstalled: OneSignal dropped it
  phone(ctx, other, "sub-other");
  ctx.db.reminders.push(pushReminder(1, member));
  const r = await run(ctx.handler);
  assertEquals(r.body.push, {
    claimed: 1,
    sent: 1,
    failed: 0,
    rate_limited: false,
    unauthorized: false,
    devices_forgotten: 1,
  });
  assertEquals(ctx.db.reminders[0].status, "sent");
  assertEquals(ctx.onesignal.notifications[0].subscriptionIds, ["sub-good"]);
  assertEquals(ctx.db.pushDevices.map((d) => d.subscriptionId), ["sub-good", "sub-other"]);
});

Deno.test("push: when no id is valid the registrations go and the reminder fails at once with a clear error", async () => {
  const ctx = setup({ push: true });
  const member = crypto.randomUUID();
  phone(ctx, member, "sub-a", { known: false });
  phone(ctx, member, "sub-b", { known: false });
  ctx.db.reminders.push(pushReminder(1, member));
  const r = await run(ctx.handler);
  assertEquals([r.body.push.sent, r.body.push.failed, r.body.push.devices_forgotten], [0, 1, 2]);
  const row = ctx.db.reminders[0];
  assertEquals([row.status, row.attempts], ["failed", 1]); // no retries
  assertEquals(
    row.lastError,
    "OneSignal: no valid push subscription (invalid: sub-a, sub-b); the registrations were removed",
  );
  assertEquals(ctx.db.pushDevices, []);
  assertEquals(ctx.onesignal.notifications.length, 0);
  assertEquals((await run(ctx.handler)).body.claimed, 0);
  assertEquals(pushRequests(ctx.net).length, 1);
});

Deno.test("push: 'All included players are not subscribed' (push turned off on every phone) forgets them and fails", async () => {
  const ctx = setup({ push: true });
  const member = crypto.randomUUID();
  phone(ctx, member, "sub-off", { subscribed: false });
  ctx.db.reminders.push(pushReminder(1, member));
  const r = await run(ctx.handler);
  assertEquals([r.body.push.failed, r.body.push.devices_forgotten], [1, 1]);
  assertEquals(ctx.db.reminders[0].status, "failed");
  assertEquals(
    ctx.db.reminders[0].lastError,
    "OneSignal: All included players are not subscribed; the registrations were removed",
  );
  assertEquals(ctx.db.pushDevices, []);
});

Deno.test("push: a member whose phones were all unregistered after queueing fails without a request", async () => {
  const ctx = setup({ push: true });
  ctx.db.reminders.push(pushReminder(1, crypto.randomUUID()));
  const r = await run(ctx.handler);
  assertEquals(r.body.push.failed, 1);
  assertEquals(ctx.db.reminders[0].status, "failed");
  assert(ctx.db.reminders[0].lastError?.startsWith("no registered phone for push"));
  assertEquals(pushRequests(ctx.net).length, 0);
});

Deno.test("push: OneSignal's rate limit stops push for this run; the rest wait and email still goes", async () => {
  const ctx = setup({ push: true, batchSize: 10, concurrency: 1 });
  for (let i = 1; i <= 4; i++) {
    const member = crypto.randomUUID();
    phone(ctx, member, `sub-${i}`);
    ctx.db.reminders.push(pushReminder(i, member));
  }
  ctx.db.reminders.push(reminder(5, "mail@example.com"));
  kitKnows(ctx.kit, "mail@example.com");
  ctx.onesignal.failWith = () => jsonResponse({ errors: ["API rate limit exceeded"] }, 429, { "Retry-After": "30" });
  const r = await run(ctx.handler);
  assertEquals(r.body.rate_limited, true);
  assertEquals(r.body.push, {
    claimed: 4,
    sent: 0,
    failed: 4,
    rate_limited: true,
    unauthorized: false,
    devices_forgotten: 0,
  });
  assertEquals(r.body.email.sent, 1);
  assertEquals(pushRequests(ctx.net).length, 1); // stopped after the first 429
  const push = ctx.db.reminders.filter((x) => x.channel === "push");
  assertEquals(push.map((x) => x.status), ["pending", "pending", "pending", "pending"]);
  assertEquals(push[0].lastError, "OneSignal rate limit (429): API rate limit exceeded");
  assertEquals(push[1].lastError, "not attempted: OneSignal rate limit");
  // the limit lifted: the next run sends them all
  ctx.onesignal.failWith = null;
  assertEquals((await run(ctx.handler)).body.push.sent, 4);
  assertEquals(ctx.onesignal.notifications.length, 4);
});

Deno.test("push: OneSignal down (5xx) is retried with the same idempotency key, and given up after 5 attempts", async () => {
  const ctx = setup({ push: true });
  const member = crypto.randomUUID();
  phone(ctx, member, "sub-1");
  const row = pushReminder(1, member);
  ctx.db.reminders.push(row);
  ctx.onesignal.failWith = () => jsonResponse({ errors: ["Internal Server Error"] }, 503);
  for (let attempt = 1; attempt <= 5; attempt++) {
    const r = await run(ctx.handler);
    assertEquals(r.body.push.failed, 1);
    assertEquals(ctx.db.reminders[0].attempts, attempt);
    assertEquals(ctx.db.reminders[0].status, attempt < 5 ? "pending" : "failed");
  }
  assertEquals(ctx.db.reminders[0].lastError, "OneSignal 503: Internal Server Error");
  const keys = pushRequests(ctx.net).map((q) => JSON.parse(q.body).idempotency_key);
  assertEquals(keys, Array(5).fill(row.idempotencyKey));
  assertEquals((await run(ctx.handler)).body.claimed, 0);
});

Deno.test("push: a timeout after OneSignal already sent is retried with the same key and never shows twice", async () => {
  const ctx = setup({ push: true });
  const member = crypto.randomUUID();
  phone(ctx, member, "sub-1");
  ctx.db.reminders.push(pushReminder(1, member));
  let drop = true;
  ctx.onesignal.failWith = (req) => {
    if (!drop) return null;
    drop = false;
    ctx.onesignal.create(req); // OneSignal took it and sent it ...
    throw new TypeError("error sending request: connection reset"); // ... but the answer never came
  };
  const first = await run(ctx.handler);
  assertEquals([first.body.push.sent, first.body.push.failed], [0, 1]);
  assertEquals(ctx.db.reminders[0].status, "pending");
  assert(ctx.db.reminders[0].lastError?.startsWith("OneSignal unreachable: TypeError: error sending request"));
  const second = await run(ctx.handler);
  assertEquals(second.body.push.sent, 1);
  assertEquals(ctx.db.reminders[0].status, "sent");
  assertEquals(pushRequests(ctx.net).length, 2);
  assertEquals(ctx.onesignal.notifications.length, 1); // one notification on the phone
});

Deno.test("push: a request OneSignal rejects (400) fails at once with OneSignal's words", async () => {
  const ctx = setup({ push: true });
  const member = crypto.randomUUID();
  phone(ctx, member, "sub-1");
  ctx.db.reminders.push(pushReminder(1, member));
  ctx.onesignal.failWith = () =>
    jsonResponse({ errors: ["Message Notifications must have English language content"] }, 400);
  const r = await run(ctx.handler);
  assertEquals(r.body.push.failed, 1);
  assertEquals(
    [ctx.db.reminders[0].status, ctx.db.reminders[0].attempts, ctx.db.reminders[0].lastError],
    ["failed", 1, "OneSignal 400: Message Notifications must have English language content"],
  );
  assertEquals(ctx.db.pushDevices.length, 1); // a bad request says nothing about the phone
});

Deno.test("push: a refused REST API key stops push for the run, keeps every reminder and never shows the key", async () => {
  const wrongKey = "os_v2_app_wrong_secret_value";
  const ctx = setup({ push: true, pushKey: wrongKey, concurrency: 1, batchSize: 10 });
  for (let i = 1; i <= 3; i++) {
    const member = crypto.randomUUID();
    phone(ctx, member, `sub-${i}`);
    ctx.db.reminders.push(pushReminder(i, member));
  }
  const r = await run(ctx.handler);
  assertEquals([r.body.push.unauthorized, r.body.push.sent, r.body.push.failed], [true, 0, 3]);
  assertEquals(pushRequests(ctx.net).length, 1);
  assertEquals(ctx.db.reminders.map((x) => x.status), ["pending", "pending", "pending"]);
  assertEquals(ctx.db.pushDevices.length, 3);
  assert(ctx.db.reminders[0].lastError?.startsWith("OneSignal refused the app id or REST API key (403)"));
  assertEquals(ctx.logs.length, 1);
  assert(ctx.logs[0].includes("ONESIGNAL_REST_API_KEY"));
  const everything = JSON.stringify([r.body, ctx.logs, ctx.db.reminders]);
  assert(!everything.includes(wrongKey), "the key leaked into the response, a log or the queue");
});

Deno.test("push: two runners at once never send the same push reminder", async () => {
  const ctx = setup({ push: true, batchSize: 3 });
  for (let i = 1; i <= 10; i++) {
    const member = crypto.randomUUID();
    phone(ctx, member, `sub-${i}`);
    ctx.db.reminders.push(pushReminder(i, member));
  }
  const [a, b] = await Promise.all([run(ctx.handler), run(ctx.handler)]);
  assertEquals(a.body.push.sent + b.body.push.sent, 10);
  assertEquals(pushRequests(ctx.net).length, 10);
  assertEquals(new Set(ctx.onesignal.notifications.map((n) => n.idempotencyKey)).size, 10);
  assertEquals(ctx.db.reminders.every((x) => x.status === "sent"), true);
});

function kitKnows(kit: FakeKit, email: string) {
  kit.subscribers.set(email, {
    id: kit.subscribers.size + 1,
    first_name: null,
    email_address: email,
    state: "active",
    fields: {},
  });
}
