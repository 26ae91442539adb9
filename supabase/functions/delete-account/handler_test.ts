import { assert, assertEquals, assertMatch } from "../_shared/testing/assert.ts";
import { makeDeleteAccountHandler } from "./handler.ts";
import { makeExportDataHandler } from "../export-data/handler.ts";
import { supabaseAuthenticator } from "../_shared/auth.ts";
import { makeStripe } from "../_shared/stripe.ts";
import { StorageAdmin } from "../_shared/storage.ts";
import { MemoryDb } from "../_shared/testing/memory_db.ts";
import { FakeStorage, SERVICE_ROLE_KEY } from "../_shared/testing/fake_storage.ts";
import {
  ANON_KEY,
  FakeFetch,
  fakeSupabaseAuth,
  jsonResponse,
  type Recorded,
  SUPABASE_URL,
} from "../_shared/testing/fake_fetch.ts";

const MEMBER = "5b1f0c1e-8a7d-4c2b-9e3f-2d6a7b8c9d01";
const STRANGER = "9c2e1d0f-1b2a-4c3d-8e4f-5a6b7c8d9e02";
const STRIPE_KEY = "sk_test_delete";

function setup() {
  const db = new MemoryDb();
  const member = db.addMember(MEMBER, "chris@example.com");
  db.addMember(STRANGER, "other@example.com");
  const net = new FakeFetch();
  fakeSupabaseAuth(net, { "member-token": { id: MEMBER, email: "chris@example.com" } });
  const storage = new FakeStorage(net);
  storage.add("recordings", `${MEMBER}/2026-11-20-recording.ogg`, `${MEMBER}/2026-11/morning.ogg`, `${STRANGER}/a.ogg`);
  storage.add("vision-boards", `${MEMBER}/1.jpg`, `${STRANGER}/1.jpg`);
  storage.add("exports", `${MEMBER}/export-2026-11-25.json`);
  const cancelled: string[] = [];
  net.on("DELETE", /^https:\/\/api\.stripe\.com\/v1\/subscriptions\/[^/]+$/, (req) => {
    const id = decodeURIComponent(req.url.pathname.split("/").pop()!);
    if (req.headers.get("Authorization") !== `Bearer ${STRIPE_KEY}`) {
      return jsonResponse({ error: { type: "invalid_request_error", message: "Invalid API Key provided" } }, 401);
    }
    if (!id.startsWith("sub_")) {
      return jsonResponse({
        error: {
          code: "resource_missing",
          param: "id",
          type: "invalid_request_error",
          message: `No such subscription: '${id}'`,
        },
      }, 404);
    }
    cancelled.push(id);
    return jsonResponse({ id, object: "subscription", status: "canceled", canceled_at: 1795700000 });
  });
  // what had been sent when the database deletion ran
  let sentBeforeDb: string[] | null = null;
  const deleteMember = db.deleteMember.bind(db);
  db.deleteMember = (id: string) => {
    sentBeforeDb = net.requests.map(describe);
    return deleteMember(id);
  };
  const logs: string[] = [];
  const handler = makeDeleteAccountHandler({
    stripe: makeStripe(STRIPE_KEY, net.fetch),
    db,
    storage: new StorageAdmin(SUPABASE_URL, SERVICE_ROLE_KEY, net.fetch),
    authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
    log: (m) => logs.push(m),
  });
  return { db, member, net, storage, cancelled, handler, logs, sentBeforeDb: () => sentBeforeDb };
}

const describe = (r: Recorded) => `${r.method} ${r.url.pathname}`;

const post = (body?: unknown, token: string | null = "member-token") =>
  new Request("http://localhost/delete-account", {
    method: "POST",
    headers: token ? { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } : {},
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });

const storageCalls = (net: FakeFetch) => net.to(/\/storage\/v1\//);
const stripeCalls = (net: FakeFetch) => net.to(/api\.stripe\.com/);

Deno.test("delete-account: files, then the subscription, then the member; 200 {deleted: true}", async () => {
  const { db, member, net, storage, cancelled, handler, sentBeforeDb } = setup();
  member.stripeCustomerId = "cus_1";
  member.stripeSubscriptionId = "sub_1";
  member.subscriptionStatus = "active";
  const res = await handler(post({ confirm: "DELETE" }));
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("Access-Control-Allow-Origin"), "*");
  assertEquals(await res.json(), { deleted: true });

  // Storage: every request as the service role, JSON bodies of the documented shape
  for (const r of storageCalls(net)) {
    assertEquals(r.headers.get("apikey"), SERVICE_ROLE_KEY);
    assertEquals(r.headers.get("Authorization"), `Bearer ${SERVICE_ROLE_KEY}`);
    assertEquals(r.headers.get("Content-Type"), "application/json");
  }
  const lists = storageCalls(net).filter((r) => r.method === "POST");
  assertEquals(lists.map((r) => [r.url.pathname, JSON.parse(r.body)]), [
    ["/storage/v1/object/list/recordings", { prefix: `${MEMBER}/`, limit: 1000, offset: 0 }],
    ["/storage/v1/object/list/recordings", { prefix: `${MEMBER}/2026-11/`, limit: 1000, offset: 0 }],
    ["/storage/v1/object/list/vision-boards", { prefix: `${MEMBER}/`, limit: 1000, offset: 0 }],
    ["/storage/v1/object/list/exports", { prefix: `${MEMBER}/`, limit: 1000, offset: 0 }],
  ]);
  const deletes = storageCalls(net).filter((r) => r.method === "DELETE");
  assertEquals(deletes.map((r) => [r.url.pathname, JSON.parse(r.body)]), [
    ["/storage/v1/object/recordings", {
      prefixes: [`${MEMBER}/2026-11/morning.ogg`, `${MEMBER}/2026-11-20-recording.ogg`],
    }],
    ["/storage/v1/object/vision-boards", { prefixes: [`${MEMBER}/1.jpg`] }],
    ["/storage/v1/object/exports", { prefixes: [`${MEMBER}/export-2026-11-25.json`] }],
  ]);
  assertEquals(storage.names("recordings"), [`${STRANGER}/a.ogg`]);
  assertEquals(storage.names("vision-boards"), [`${STRANGER}/1.jpg`]);
  assertEquals(storage.names("exports"), []);

  // Stripe: DELETE /v1/subscriptions/{id} with the secret key
  const [cancel] = stripeCalls(net);
  assertEquals(describe(cancel), "DELETE /v1/subscriptions/sub_1");
  assertEquals(cancel.headers.get("Authorization"), `Bearer ${STRIPE_KEY}`);
  assertEquals(cancelled, ["sub_1"]);

  // order: the database went last, after every file and the subscription
  const before = sentBeforeDb()!;
  assertEquals(
    before.filter((d) => !d.startsWith("GET /auth/")),
    net.requests.map(describe).filter((d) => !d.startsWith("GET /auth/")),
  );
  assert(before.indexOf("DELETE /v1/subscriptions/sub_1") > before.lastIndexOf("DELETE /storage/v1/object/exports"));
  assertEquals(db.deletedMembers, [MEMBER]);
  assert(!db.profiles.has(MEMBER));
  assert(db.profiles.has(STRANGER));
});

Deno.test("delete-account: no subscription (or a cancelled one) → no Stripe call; empty buckets → no deletes", async () => {
  for (const state of [{}, { stripeSubscriptionId: "sub_old", subscriptionStatus: "cancelled" as const }]) {
    const { db, member, net, storage, handler } = setup();
    Object.assign(member, state);
    storage.objects = new Map([["recordings", new Set()], ["vision-boards", new Set()], ["exports", new Set()]]);
    const res = await handler(post({ confirm: "DELETE" }));
    assertEquals(res.status, 200);
    assertEquals(await res.json(), { deleted: true });
    assertEquals(stripeCalls(net).length, 0);
    assertEquals(storageCalls(net).map((r) => r.method), ["POST", "POST", "POST"]);
    assertEquals(db.deletedMembers, [MEMBER]);
  }
});

Deno.test("delete-account: a subscription Stripe no longer knows does not block the deletion", async () => {
  const { db, member, net, handler } = setup();
  member.stripeSubscriptionId = "gone_1";
  member.subscriptionStatus = "past_due";
  const res = await handler(post({ confirm: "DELETE" }));
  assertEquals(res.status, 200);
  assertEquals(stripeCalls(net).map(describe), ["DELETE /v1/subscriptions/gone_1"]);
  assertEquals(db.deletedMembers, [MEMBER]);
});

Deno.test("delete-account: more than 1000 files are listed page by page and deleted in batches of 1000", async () => {
  const { net, storage, handler } = setup();
  const many = Array.from({ length: 1001 }, (_, i) => `${MEMBER}/r${String(i).padStart(4, "0")}.ogg`);
  storage.add("recordings", ...many);
  const res = await handler(post({ confirm: "DELETE" }));
  assertEquals(res.status, 200);
  const recordings = storageCalls(net).filter((r) => r.url.pathname.endsWith("/recordings"));
  assertEquals(
    recordings.filter((r) => r.method === "POST").map((r) => [JSON.parse(r.body).prefix, JSON.parse(r.body).offset]),
    [[`${MEMBER}/`, 0], [`${MEMBER}/2026-11/`, 0], [`${MEMBER}/`, 1000]],
  );
  assertEquals(recordings.filter((r) => r.method === "DELETE").map((r) => JSON.parse(r.body).prefixes.length), [
    1000,
    3,
  ]);
  assertEquals(storage.names("recordings"), [`${STRANGER}/a.ogg`]);
});

Deno.test("delete-account: a missing or invalid token is 401 and nothing is touched", async () => {
  for (const token of [null, "not-a-member"]) {
    const { db, net, handler } = setup();
    const res = await handler(post({ confirm: "DELETE" }, token));
    assertEquals(res.status, 401);
    const body = await res.json();
    assertEquals(body.error.code, "unauthorized");
    assertEquals(typeof body.error.message, "string");
    assertEquals(storageCalls(net).length + stripeCalls(net).length, 0);
    assertEquals(db.deletedMembers, []);
    assert(db.profiles.has(MEMBER));
  }
});

Deno.test('delete-account: without {"confirm": "DELETE"} it is 400 and nothing is deleted', async () => {
  for (const body of [undefined, {}, { confirm: "delete" }, { confirm: true }, '["DELETE"]']) {
    const { db, member, net, storage, handler } = setup();
    member.stripeSubscriptionId = "sub_1";
    member.subscriptionStatus = "active";
    const res = await handler(post(body));
    assertEquals(res.status, 400, JSON.stringify(body));
    const { error } = await res.json();
    assertEquals(error.code, "invalid_request");
    if (body !== '["DELETE"]') assertMatch(error.message, /confirm with "DELETE"/);
    assertEquals(storageCalls(net).length + stripeCalls(net).length, 0);
    assertEquals(storage.names("exports"), [`${MEMBER}/export-2026-11-25.json`]);
    assertEquals(db.deletedMembers, []);
  }
  const { handler } = setup();
  const res = await handler(post("{not json"));
  assertEquals(res.status, 400);
  assertEquals((await res.json()).error.code, "invalid_json");
});

Deno.test("delete-account: a storage failure is 502, the subscription stays and the member is NOT deleted", async () => {
  for (const failing of ["POST /storage/v1/object/list/vision-boards", "DELETE /storage/v1/object/recordings"]) {
    const { db, member, net, storage, handler, logs } = setup();
    member.stripeSubscriptionId = "sub_1";
    member.subscriptionStatus = "active";
    storage.failWith = (req) =>
      describe(req) === failing
        ? jsonResponse({ statusCode: "500", error: "internal", message: "backend unavailable" }, 500)
        : null;
    const res = await handler(post({ confirm: "DELETE" }));
    assertEquals(res.status, 502, failing);
    const { error } = await res.json();
    assertEquals(error.code, "storage_unavailable");
    assertMatch(error.message, /nothing was deleted/);
    assertEquals(stripeCalls(net).length, 0);
    assertEquals(db.deletedMembers, []);
    assert(db.profiles.has(MEMBER));
    assertMatch(logs.join("\n"), /storage error/);
  }
});

Deno.test("delete-account: a Stripe failure is 502 and the member is NOT deleted (a retry finishes it)", async () => {
  const { db, member, net, handler } = setup();
  member.stripeSubscriptionId = "sub_1";
  member.subscriptionStatus = "active";
  let stripeDown = true;
  net.on(
    "DELETE",
    /^https:\/\/api\.stripe\.com\/v1\/subscriptions\//,
    (req) =>
      stripeDown
        ? jsonResponse({ error: { type: "invalid_request_error", message: "Invalid API Key provided" } }, 401)
        : jsonResponse({ id: req.url.pathname.split("/").pop(), object: "subscription", status: "canceled" }),
  );
  const res = await handler(post({ confirm: "DELETE" }));
  assertEquals(res.status, 502);
  assertEquals((await res.json()).error.code, "stripe_unavailable");
  assertEquals(db.deletedMembers, []);
  assert(db.profiles.has(MEMBER));

  stripeDown = false;
  const retry = await handler(post({ confirm: "DELETE" }));
  assertEquals(retry.status, 200);
  assertEquals(db.deletedMembers, [MEMBER]);
  assertEquals(stripeCalls(net).map(describe), ["DELETE /v1/subscriptions/sub_1", "DELETE /v1/subscriptions/sub_1"]);
});

Deno.test("delete-account: a database failure is 500 internal and can be retried", async () => {
  const { db, handler, logs } = setup();
  const deleteMember = db.deleteMember;
  db.deleteMember = (id) => {
    db.failNext = new Error("connection reset");
    return deleteMember(id);
  };
  const res = await handler(post({ confirm: "DELETE" }));
  assertEquals(res.status, 500);
  assertEquals((await res.json()).error.code, "internal");
  assert(db.profiles.has(MEMBER));
  db.deleteMember = deleteMember;
  assertEquals((await handler(post({ confirm: "DELETE" }))).status, 200);
  assert(!db.profiles.has(MEMBER));
  assertEquals(logs, []);
});

Deno.test("delete-account: an archive written by export-data is gone with the account", async () => {
  const { db, net, storage, handler } = setup();
  const exportData = makeExportDataHandler({
    db,
    storage: new StorageAdmin(SUPABASE_URL, SERVICE_ROLE_KEY, net.fetch),
    authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
  });
  const made = await exportData(post({}));
  assertEquals(made.status, 200);
  const { path, url } = await made.json();
  assert(storage.names("exports").includes(path));
  assertEquals((await net.fetch(url)).status, 200); // the link works while the account lives

  assertEquals((await handler(post({ confirm: "DELETE" }))).status, 200);
  assertEquals(storage.names("exports"), []);
  assertEquals(storage.names("recordings"), [`${STRANGER}/a.ogg`]);
  assertEquals([...storage.bytes.keys()].filter((k) => k.includes(MEMBER)), []); // the bytes, not just the names
  assertEquals((await net.fetch(url)).status, 400); // and the link reads nothing any more
});
