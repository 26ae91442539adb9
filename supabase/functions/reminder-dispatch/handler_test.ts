import { assert, assertEquals } from "../_shared/testing/assert.ts";
import { makeReminderDispatchHandler } from "./handler.ts";
import { KitClient } from "../_shared/kit.ts";
import type { ReminderJob } from "../_shared/db.ts";
import { MemoryDb } from "../_shared/testing/memory_db.ts";
import { FakeKit, KIT_KEY } from "../_shared/testing/fake_kit.ts";
import { jsonResponse } from "../_shared/testing/fake_fetch.ts";

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
    status: "pending" as const,
    lastError: null,
  };
}

function setup(opts: { batchSize?: number } = {}) {
  const db = new MemoryDb();
  const kit = new FakeKit();
  const handler = makeReminderDispatchHandler({
    db,
    kit: new KitClient(KIT_KEY, kit.fetch),
    cronSecret: "cron-secret",
    tags: TAGS,
    batchSize: opts.batchSize ?? 2,
  });
  return { db, kit, handler };
}

const run = async (handler: (r: Request) => Promise<Response>, secret = "cron-secret") => {
  const res = await handler(
    new Request("http://localhost/reminder-dispatch", { method: "POST", headers: { "x-cron-secret": secret } }),
  );
  return { status: res.status, body: await res.json() };
};

Deno.test("reminders: email reminders are sent through Kit by tag and marked sent; push rows are left alone", async () => {
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
  assertEquals(r, { status: 200, body: { claimed: 3, sent: 3, failed: 0, rate_limited: false } });
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
