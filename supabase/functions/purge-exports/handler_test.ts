import { assertEquals } from "../_shared/testing/assert.ts";
import { EXPORTS_BUCKET, KEEP_DAYS, makePurgeExportsHandler } from "./handler.ts";
import { StorageAdmin } from "../_shared/storage.ts";
import { FakeStorage, SERVICE_ROLE_KEY } from "../_shared/testing/fake_storage.ts";
import { jsonResponse, SUPABASE_URL } from "../_shared/testing/fake_fetch.ts";

const SECRET = "cron-secret";
const A = "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a";
const B = "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d";
const C = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9";
const NOW = Date.UTC(2026, 11, 2, 4, 7);
const DAY = 86_400_000;

function setup() {
  const storage = new FakeStorage().bucket(EXPORTS_BUCKET);
  /** An object written `daysAgo` days before NOW (the Storage API lists it with that created_at). */
  const at = (daysAgo: number, name: string) => {
    storage.clock = () => NOW - daysAgo * DAY;
    storage.put(EXPORTS_BUCKET, name, new Uint8Array([1, 2, 3]), "application/zip");
  };
  // A: an old three-part export and a new one
  for (const k of [1, 2, 3]) at(9, `${A}/export-20261123T040000Z-part-${k}-of-3.zip`);
  at(1, `${A}/export-20261201T040000Z-part-1-of-1.zip`);
  // B: one export just past the week, one just inside it
  at(KEEP_DAYS + 0.01, `${B}/export-20261125T035000Z-part-1-of-1.zip`);
  at(KEEP_DAYS - 0.01, `${B}/export-20261125T042000Z-part-1-of-1.zip`);
  // C: only a recent export, in a sub-folder too (listed through folder entries)
  at(0, `${C}/export-20261202T040000Z-part-1-of-2.zip`);
  at(0, `${C}/old/export-20261202T040000Z-part-2-of-2.zip`);
  // other buckets are never touched, however old
  storage.clock = () => NOW - 100 * DAY;
  storage.put("recordings", `${A}/2026-08-01.ogg`, new Uint8Array([9]), "audio/ogg");
  storage.clock = () => NOW;
  const handler = makePurgeExportsHandler({
    storage: new StorageAdmin(SUPABASE_URL, SERVICE_ROLE_KEY, storage.net.fetch),
    cronSecret: SECRET,
    now: () => new Date(NOW),
  });
  const post = (secret = SECRET) =>
    new Request("http://localhost/purge-exports", { method: "POST", headers: { "x-cron-secret": secret } });
  return { storage, handler, post };
}

Deno.test("purge-exports: archives older than 7 days go, newer ones stay, for every member", async () => {
  const { storage, handler, post } = setup();
  const res = await handler(post());
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { deleted: 4, kept: 4, members: 2 });
  assertEquals(storage.names(EXPORTS_BUCKET), [
    `${C}/export-20261202T040000Z-part-1-of-2.zip`,
    `${C}/old/export-20261202T040000Z-part-2-of-2.zip`,
    `${A}/export-20261201T040000Z-part-1-of-1.zip`,
    `${B}/export-20261125T042000Z-part-1-of-1.zip`,
  ]);
  assertEquals(storage.names("recordings"), [`${A}/2026-08-01.ogg`]);
  // deleted through the Storage API (that removes the bytes), as the service role
  const deletes = storage.net.requests.filter((r) => r.method === "DELETE");
  assertEquals(deletes.map((r) => [r.url.pathname, r.headers.get("apikey")]), [
    ["/storage/v1/object/exports", SERVICE_ROLE_KEY],
  ]);
  assertEquals(JSON.parse(deletes[0].body).prefixes.length, 4);
  // a second run finds nothing more to do
  assertEquals(await (await handler(post())).json(), { deleted: 0, kept: 4, members: 0 });
  assertEquals(storage.net.requests.filter((r) => r.method === "DELETE").length, 1);
});

Deno.test("purge-exports: needs the cron secret; deletes nothing without it", async () => {
  const { storage, handler, post } = setup();
  for (const secret of ["", "wrong"]) {
    const res = await handler(post(secret));
    assertEquals(res.status, 401);
    assertEquals((await res.json()).error.code, "unauthorized");
  }
  assertEquals(storage.net.requests, []);
  assertEquals(storage.names(EXPORTS_BUCKET).length, 8);
});

Deno.test("purge-exports: an object Storage lists without a date is kept", async () => {
  const { storage, handler, post } = setup();
  storage.failWith = (req) =>
    req.url.pathname.endsWith("/object/list/exports") && JSON.parse(req.body).prefix === `${A}/`
      ? jsonResponse([{ name: "export-20200101T000000Z.zip", id: "1", created_at: null, metadata: { size: 3 } }])
      : null;
  const res = await handler(post());
  // A's real objects are hidden by the listing above; B's old one still goes
  assertEquals(await res.json(), { deleted: 1, kept: 4, members: 1 });
  assertEquals(storage.names(EXPORTS_BUCKET).filter((n) => n.startsWith(B)), [
    `${B}/export-20261125T042000Z-part-1-of-1.zip`,
  ]);
});

Deno.test("purge-exports: Storage down is a 500 (the next run retries) and nothing is deleted", async () => {
  const { storage, handler, post } = setup();
  const logs: string[] = [];
  storage.failWith = (req) =>
    req.method === "POST" ? jsonResponse({ statusCode: "500", error: "internal", message: "db down" }, 500) : null;
  const original = console.error;
  console.error = (line: string) => logs.push(line);
  try {
    const res = await handler(post());
    assertEquals(res.status, 500);
    assertEquals((await res.json()).error.code, "internal");
  } finally {
    console.error = original;
  }
  assertEquals(logs.length, 1);
  assertEquals(storage.net.requests.filter((r) => r.method === "DELETE"), []);
  assertEquals(storage.names(EXPORTS_BUCKET).length, 8);
});
