import { strFromU8, unzipSync } from "fflate";
import { assert, assertEquals, assertMatch } from "../_shared/testing/assert.ts";
import {
  exportName,
  EXPORTS_BUCKET,
  exportTime,
  LINK_SECONDS,
  makeExportDataHandler,
  MAX_OBJECT_BYTES,
  PART_BYTES,
} from "./handler.ts";
import { supabaseAuthenticator } from "../_shared/auth.ts";
import { StorageAdmin } from "../_shared/storage.ts";
import { MemoryDb } from "../_shared/testing/memory_db.ts";
import { FakeStorage, SERVICE_ROLE_KEY } from "../_shared/testing/fake_storage.ts";
import { ANON_KEY, FakeFetch, fakeSupabaseAuth, jsonResponse, SUPABASE_URL } from "../_shared/testing/fake_fetch.ts";

const MEMBER = "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a";
const STRANGER = "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d";
const NOW = new Date(Date.UTC(2026, 11, 2, 9, 30, 15));

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256);

function setup(opts: { partBytes?: number; maxObjectBytes?: number } = {}) {
  const db = new MemoryDb();
  db.clock = () => NOW.getTime();
  db.addMember(MEMBER, "chris@example.com", { fullName: "Chris Member" });
  db.addMember(STRANGER, "stranger@example.com", { fullName: "Someone Else" });
  db.affirmations.push(
    { id: "a1", userId: MEMBER, version: 1, content: "I keep my word.", isActive: false },
    { id: "a2", userId: MEMBER, version: 2, content: "I act before I feel ready.", isActive: true },
    { id: "s1", userId: STRANGER, version: 1, content: "Stranger's private affirmation.", isActive: true },
  );
  const day = (date: string) => ({
    date,
    morningCompleted: true,
    violentAction: "Call the bank",
    actionCompleted: true,
    eveningCompleted: true,
    disciplineRating: 8,
    biggestWin: "Called",
  });
  db.sessions.set(MEMBER, [day("2026-11-30"), day("2026-12-01")]);
  db.sessions.set(STRANGER, [day("2026-12-01")]);
  db.recordings.push(
    { userId: MEMBER, date: "2026-11-30", recordingPath: `${MEMBER}/2026-11-30.ogg`, durationMs: 61000 },
    // made on another device, the upload never finished: named by the row, absent from Storage
    { userId: MEMBER, date: "2026-12-01", recordingPath: `${MEMBER}/2026-12-01.ogg`, durationMs: 59000 },
  );
  db.tiles.push(
    { id: "t1", userId: MEMBER, position: 0, imagePath: `${MEMBER}/tiles/cabin.jpg`, caption: "Cabin by the lake" },
    { id: "t2", userId: STRANGER, position: 0, imagePath: `${STRANGER}/boat.jpg`, caption: "Boat" },
  );
  const net = new FakeFetch();
  fakeSupabaseAuth(net, {
    "member-token": { id: MEMBER, email: "chris@example.com" },
    "stranger-token": { id: STRANGER, email: "stranger@example.com" },
  });
  const storage = new FakeStorage(net).bucket(EXPORTS_BUCKET);
  storage.clock = () => NOW.getTime();
  storage.put("recordings", `${MEMBER}/2026-11-30.ogg`, bytes(3000, 1), "audio/ogg");
  storage.put("recordings", `${MEMBER}/old/2026-10-01.ogg`, bytes(1500, 2), "audio/ogg"); // a sub-folder
  storage.put("recordings", `${STRANGER}/2026-12-01.ogg`, bytes(2000, 3), "audio/ogg");
  storage.put("vision-boards", `${MEMBER}/tiles/cabin.jpg`, bytes(4000, 4), "image/jpeg");
  storage.put("vision-boards", `${STRANGER}/boat.jpg`, bytes(1000, 5), "image/jpeg");
  const logs: string[] = [];
  const handler = makeExportDataHandler({
    db,
    authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
    storage: new StorageAdmin(SUPABASE_URL, SERVICE_ROLE_KEY, net.fetch),
    now: () => NOW,
    log: (m) => logs.push(m),
    ...opts,
  });
  return { db, net, storage, handler, logs };
}

const post = (body: unknown = {}, token = "member-token") =>
  new Request("http://localhost/export-data", {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/** Downloads the archive through the signed URL, as the app does, and unzips it. */
async function openArchive(net: FakeFetch, url: string): Promise<Record<string, Uint8Array>> {
  const res = await net.fetch(url);
  assertEquals(res.status, 200);
  return unzipSync(new Uint8Array(await res.arrayBuffer()));
}

Deno.test("export-data: the member's rows and every file of theirs, zipped into their exports folder", async () => {
  const { db, net, storage, handler } = setup();
  const res = await handler(post());
  assertEquals(res.status, 200);
  const body = await res.json();
  const path = `${MEMBER}/export-20261202T093015Z-part-1-of-1.zip`;
  assertEquals(body.path, path);
  assertEquals(body.expires_at, "2026-12-02T09:45:15.000Z"); // 15 minutes
  assertEquals(storage.names(EXPORTS_BUCKET), [path]);
  assertEquals(body.bytes, storage.bytes.get(`${EXPORTS_BUCKET}/${path}`)!.length);
  assertEquals(body.parts.map((p: { path: string; bytes: number }) => [p.path, p.bytes]), [[path, body.bytes]]);
  assertEquals(body.parts[0].url, body.url);
  assertEquals(body.not_exported, []);
  assertEquals(storage.contentTypes.get(`${EXPORTS_BUCKET}/${path}`), "application/zip");
  assertMatch(body.url, new RegExp(`^${SUPABASE_URL}/storage/v1/object/sign/exports/${MEMBER}/export-.*\\?token=`));

  const zip = await openArchive(net, body.url);
  assertEquals(Object.keys(zip).sort(), [
    "README.txt",
    "data.json",
    "recordings/2026-11-30.ogg",
    "recordings/old/2026-10-01.ogg",
    "vision-boards/tiles/cabin.jpg",
  ]);
  assertEquals(zip["recordings/2026-11-30.ogg"], bytes(3000, 1));
  assertEquals(zip["recordings/old/2026-10-01.ogg"], bytes(1500, 2));
  assertEquals(zip["vision-boards/tiles/cabin.jpg"], bytes(4000, 4));

  const text = strFromU8(zip["data.json"]);
  const data = JSON.parse(text);
  assertEquals(data.profile.email, "chris@example.com");
  assertEquals(data.affirmations.map((a: { content: string }) => a.content), [
    "I keep my word.",
    "I act before I feel ready.",
  ]);
  assertEquals(data.daily_sessions.map((s: { date: string; recording_path: string }) => [s.date, s.recording_path]), [
    ["2026-11-30", `${MEMBER}/2026-11-30.ogg`],
    ["2026-12-01", `${MEMBER}/2026-12-01.ogg`],
  ]);
  assertEquals(data.vision_boards.map((t: { caption: string }) => t.caption), ["Cabin by the lake"]);
  assertEquals(data.archive.missing, [`recordings/${MEMBER}/2026-12-01.ogg`]);
  assertEquals(
    data.archive.files.map((f: { path: string; bytes: number; part: number }) => [f.path, f.bytes, f.part]),
    [
      ["recordings/2026-11-30.ogg", 3000, 1],
      ["recordings/old/2026-10-01.ogg", 1500, 1],
      ["vision-boards/tiles/cabin.jpg", 4000, 1],
    ],
  );
  assertEquals(data.archive.parts, [{ part: 1, name: "export-20261202T093015Z-part-1-of-1.zip", files: 3 }]);
  assertEquals(data.archive.not_exported, []);
  const readme = strFromU8(zip["README.txt"]);
  assertMatch(readme, /This export is one archive:\n  export-20261202T093015Z-part-1-of-1\.zip  data\.json, this file and 3 files/);
  assertMatch(readme, new RegExp(`never stored on the server \\(1\\):\n  recordings/${MEMBER}/2026-12-01\\.ogg`));
  // nothing of the other member
  for (const needle of [STRANGER, "stranger@example.com", "Someone Else", "Stranger's private", "Boat"]) {
    assert(!text.includes(needle), needle);
  }
  assertEquals(net.to(new RegExp(`/storage/v1/object/(recordings|vision-boards)/${STRANGER}`)), []);

  assertEquals(db.audit.map((a) => [a.userId, a.event, a.actor, a.detail.path, a.detail.files]), [
    [MEMBER, "export_created", "member", path, 3],
  ]);
});

Deno.test("export-data: the link expires after 15 minutes", async () => {
  const { net, storage, handler } = setup();
  const { url } = await (await handler(post())).json();
  const signs = net.to(/\/object\/sign\//).filter((r) => r.method === "POST");
  assertEquals(signs.map((r) => JSON.parse(r.body)), [{ expiresIn: LINK_SECONDS }]);
  storage.clock = () => NOW.getTime() + LINK_SECONDS * 1000 - 1000;
  assertEquals((await net.fetch(url)).status, 200);
  storage.clock = () => NOW.getTime() + LINK_SECONDS * 1000 + 1000;
  const late = await net.fetch(url);
  assertEquals(late.status, 400);
  assertEquals((await late.json()).error, "InvalidJWT");
});

Deno.test("export-data: a body naming another member's folder is refused (400), nothing read or written", async () => {
  const { db, net, storage, handler } = setup();
  for (const body of [{ user_id: STRANGER }, { path: `${STRANGER}/` }, { folder: `${STRANGER}/export.zip` }]) {
    const res = await handler(post(body));
    assertEquals(res.status, 400, JSON.stringify(body));
    const { error } = await res.json();
    assertEquals(error.code, "not_your_folder");
    assertMatch(error.message, /only export your own account/);
  }
  // own id: still only {} is asked for; unknown fields and non-objects are refused too
  const own = await (await handler(post({ user_id: MEMBER }))).json();
  assertEquals(own.error.code, "invalid_request");
  assertMatch(own.error.message, /empty body/);
  assertEquals((await handler(post({ format: "csv" }))).status, 400);
  assertEquals((await handler(post("[1]"))).status, 400);
  assertEquals((await handler(post("not json"))).status, 400);
  assertEquals(storage.names(EXPORTS_BUCKET), []);
  assertEquals(net.to(/\/storage\/v1\//), []);
  assertEquals(db.audit, []);
});

Deno.test("export-data: each member's export holds their own files only, in their own folder", async () => {
  const { net, storage, handler } = setup();
  const mine = await (await handler(post())).json();
  const theirs = await (await handler(post({}, "stranger-token"))).json();
  assertEquals(storage.names(EXPORTS_BUCKET), [mine.path, theirs.path].sort());
  assert(theirs.path.startsWith(`${STRANGER}/`));
  const zip = await openArchive(net, theirs.url);
  assertEquals(Object.keys(zip).sort(), ["README.txt", "data.json", "recordings/2026-12-01.ogg", "vision-boards/boat.jpg"]);
  const text = strFromU8(zip["data.json"]);
  for (const needle of [MEMBER, "chris@example.com", "Chris Member", "I keep my word", "Cabin"]) {
    assert(!text.includes(needle), needle);
  }
});

Deno.test("export-data: Storage down is a 502 and no export is recorded", async () => {
  const { db, storage, handler, logs } = setup();
  storage.failWith = () => jsonResponse({ statusCode: "500", error: "internal", message: "db down" }, 500);
  const res = await handler(post());
  assertEquals(res.status, 502);
  assertEquals((await res.json()).error.code, "storage_unavailable");
  assertEquals(db.audit, []);
  assertEquals(logs.length, 1);
});

Deno.test("export-data: no token is 401; a member without a profile is 404", async () => {
  const { db, handler } = setup();
  assertEquals((await handler(post({}, "nope"))).status, 401);
  db.profiles.delete(MEMBER);
  const res = await handler(post());
  assertEquals(res.status, 404);
  assertEquals((await res.json()).error.code, "no_profile");
});

Deno.test("export-data: archive names sort by time and carry no characters URLs mangle", () => {
  const name = exportName(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), 2, 3);
  assertEquals(name, "export-20260102T030405Z-part-2-of-3.zip");
  assertEquals(exportTime(name), "20260102T030405Z");
  assertEquals(exportTime("export-20251231T235959Z.zip"), "20251231T235959Z"); // one-file archives of before
  assertEquals(exportTime("notes.zip"), null);
  assertEquals(exportTime("export-2026.zip"), null);
});
