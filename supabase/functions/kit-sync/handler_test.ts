import { assert, assertEquals } from "../_shared/testing/assert.ts";
import { KIT_FIELDS, makeKitSyncHandler } from "./handler.ts";
import { KitClient } from "../_shared/kit.ts";
import type { KitJob } from "../_shared/db.ts";
import { MemoryDb } from "../_shared/testing/memory_db.ts";
import { FakeKit, KIT_KEY } from "../_shared/testing/fake_kit.ts";
import { jsonResponse } from "../_shared/testing/fake_fetch.ts";

function job(id: number, kind: KitJob["kind"], email: string | null, extra: Partial<KitJob> = {}) {
  return {
    id,
    userId: crypto.randomUUID(),
    kind,
    attempts: 0,
    email,
    fullName: "Chris Disciplined",
    memberNumber: 47,
    memberCode: "047",
    subscriptionStatus: "trial" as const,
    weeklyEmail: true,
    weekNumber: 3,
    currentStreak: 5,
    longestStreak: 9,
    completionRate: 71.43,
    averageDisciplineRating: 7.25,
    disciplineScore: 42.1,
    status: "pending" as const,
    lastError: null,
    ...extra,
  };
}

function setup() {
  const db = new MemoryDb();
  const kit = new FakeKit();
  const handler = makeKitSyncHandler({
    db,
    kit: new KitClient(KIT_KEY, kit.fetch),
    cronSecret: "cron-secret",
    memberTagId: "700",
    weeklyTagId: "701",
  });
  const run = async (secret = "cron-secret") => {
    const res = await handler(
      new Request("http://localhost/kit-sync", { method: "POST", headers: { "x-cron-secret": secret } }),
    );
    return { status: res.status, body: await res.json() };
  };
  return { db, kit, run };
}

Deno.test("kit: a sign-up upserts the subscriber with the member number and the member tag", async () => {
  const { db, kit, run } = setup();
  db.kitJobs.push(job(1, "welcome", "chris@example.com"));
  const r = await run();
  assertEquals(r, { status: 200, body: { claimed: 1, sent: 1, skipped: 0, failed: 0, rate_limited: false } });
  const upsert = kit.net.requests.find((q) => q.method === "POST" && q.url.pathname === "/v4/subscribers")!;
  assertEquals(JSON.parse(upsert.body), {
    email_address: "chris@example.com",
    first_name: "Chris",
    state: "active",
    fields: { member_number: "047", subscription_status: "trial" },
  });
  assertEquals(upsert.headers.get("X-Kit-Api-Key"), KIT_KEY);
  assertEquals(kit.tags.get("700"), ["chris@example.com"]);
  assertEquals(db.kitJobs[0].status, "sent");
});

Deno.test("kit: the custom fields are created first when missing (Kit needs them to exist)", async () => {
  const { db, kit, run } = setup();
  kit.customFields.push({ id: 1, name: "ck_field_1_member_number", key: "member_number", label: "member_number" });
  db.kitJobs.push(job(1, "welcome", "chris@example.com"));
  await run();
  const created = kit.net.requests.filter((q) => q.method === "POST" && q.url.pathname === "/v4/custom_fields")
    .map((q) => JSON.parse(q.body).label);
  assertEquals(created, KIT_FIELDS.filter((f) => f !== "member_number"));
  // the listing happens before the first upsert
  const paths = kit.net.requests.map((q) => `${q.method} ${q.url.pathname}`);
  assert(paths.indexOf("GET /v4/custom_fields") < paths.indexOf("POST /v4/subscribers"));
});

Deno.test("kit: the weekly update writes the week's figures into custom fields and tags for the automation", async () => {
  const { db, kit, run } = setup();
  db.kitJobs.push(job(1, "weekly", "chris@example.com", { subscriptionStatus: "active" }));
  await run();
  assertEquals(kit.subscribers.get("chris@example.com")!.fields, {
    member_number: "047",
    subscription_status: "active",
    week_number: "3",
    current_streak: "5",
    longest_streak: "9",
    completion_rate: "71.43",
    average_rating: "7.3",
    discipline_score: "42.1",
  });
  assertEquals(kit.tags.get("701"), ["chris@example.com"]);
});

Deno.test("kit: members who turned the weekly email off, or have no email, are skipped", async () => {
  const { db, kit, run } = setup();
  db.kitJobs.push(job(1, "weekly", "off@example.com", { weeklyEmail: false }), job(2, "welcome", null));
  const r = await run();
  assertEquals(r.body, { claimed: 2, sent: 0, skipped: 2, failed: 0, rate_limited: false });
  assertEquals(kit.net.requests.length, 0);
  assertEquals(db.kitJobs.map((j) => j.status), ["sent", "sent"]);
});

Deno.test("kit: errors retry up to 5 attempts; a rate limit stops the run", async () => {
  const { db, kit, run } = setup();
  db.kitJobs.push(job(1, "welcome", "a@example.com"), job(2, "welcome", "b@example.com"));
  kit.failWith = () => jsonResponse({ errors: ["Rate limit hit"] }, 429);
  const r = await run();
  assertEquals(r.body.rate_limited, true);
  assertEquals(kit.net.requests.length, 1); // the second job was not attempted
  assertEquals(db.kitJobs.map((j) => j.status), ["pending", "pending"]);
  kit.failWith = (req) =>
    req.method === "POST" && req.url.pathname === "/v4/subscribers"
      ? jsonResponse({ errors: ["Email address is invalid"] }, 422)
      : null;
  for (let i = 0; i < 4; i++) await run();
  assertEquals(db.kitJobs.map((j) => j.status), ["failed", "failed"]);
  assertEquals(db.kitJobs[0].lastError?.includes("Email address is invalid"), true);
});

Deno.test("kit: without the cron secret nothing happens", async () => {
  const { db, run } = setup();
  db.kitJobs.push(job(1, "welcome", "a@example.com"));
  assertEquals((await run("nope")).status, 401);
  assertEquals(db.kitJobs[0].status, "pending");
});
