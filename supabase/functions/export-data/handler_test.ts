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
  assertMatch(
    readme,
    /This export is one archive:\n {2}export-20261202T093015Z-part-1-of-1\.zip {2}data\.json, this file and 3 files/,
  );
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
  assertEquals(Object.keys(zip).sort(), [
    "README.txt",
    "data.json",
    "recordings/2026-12-01.ogg",
    "vision-boards/boat.jpg",
  ]);
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

const MiB = 1024 * 1024;
/** `n` bytes of `seed`, the first 4 bytes the seed's number: quick to make, told apart by content. */
function big(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n).fill(seed % 251);
  new DataView(b.buffer).setUint32(0, seed);
  return b;
}
/** Byte equality without node:assert's element-by-element deep compare (slow on megabytes). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.byteOffset % 8 || b.byteOffset % 8) return a.every((v, i) => v === b[i]);
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length >> 3);
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length >> 3);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  for (let i = x.length << 3; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
const partPath = (k: number, n: number, at = "20261202T093015Z") => `${MEMBER}/export-${at}-part-${k}-of-${n}.zip`;
type PartOut = { url: string; path: string; bytes: number };

Deno.test("export-data: ~120 MB of files become 3 parts under the limit, each file in exactly one", async () => {
  const { db, net, storage, handler } = setup();
  const originals = new Map<string, Uint8Array>([
    ["recordings/2026-11-30.ogg", bytes(3000, 1)],
    ["recordings/old/2026-10-01.ogg", bytes(1500, 2)],
    ["vision-boards/tiles/cabin.jpg", bytes(4000, 4)],
  ]);
  for (let i = 0; i < 40; i++) { // a year of readings at 3 MB each, in a sub-folder
    const data = big(3 * MiB, 100 + i);
    const name = `2026/day-${String(i).padStart(3, "0")}.ogg`;
    storage.put("recordings", `${MEMBER}/${name}`, data, "audio/ogg");
    originals.set(`recordings/${name}`, data);
  }
  const res = await handler(post());
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(body.parts.map((p: PartOut) => p.path), [1, 2, 3].map((k) => partPath(k, 3)));
  // backward compatible: url and path are part 1's, bytes the total
  assertEquals([body.url, body.path], [body.parts[0].url, partPath(1, 3)]);
  assertEquals(body.bytes, body.parts.reduce((s: number, p: PartOut) => s + p.bytes, 0));
  assertEquals(storage.names(EXPORTS_BUCKET), [1, 2, 3].map((k) => partPath(k, 3)));

  const seen = new Map<string, number>(); // archive path → part
  const zips: Record<string, Uint8Array>[] = [];
  for (const [i, part] of body.parts.entries() as Iterable<[number, PartOut]>) {
    assertEquals(storage.bytes.get(`${EXPORTS_BUCKET}/${part.path}`)!.length, part.bytes);
    assert(part.bytes <= PART_BYTES && part.bytes < MAX_OBJECT_BYTES, `part ${i + 1}: ${part.bytes}`);
    const zip = await openArchive(net, part.url);
    zips.push(zip);
    for (const [path, data] of Object.entries(zip)) {
      if (path === "data.json" || path === "README.txt") {
        assertEquals(i, 0, `${path} in part ${i + 1}`);
        continue;
      }
      assert(!seen.has(path), `${path} in parts ${seen.get(path)} and ${i + 1}`);
      seen.set(path, i + 1);
      assert(sameBytes(data, originals.get(path)!), path);
    }
  }
  assertEquals([...seen.keys()].sort(), [...originals.keys()].sort()); // every file, once
  assert(zips.every((z) => Object.keys(z).length > 5)); // the files are spread, not all in one part

  const data = JSON.parse(strFromU8(zips[0]["data.json"]));
  assertEquals(
    data.archive.parts.map((p: { part: number; name: string; files: number }) => [p.part, p.name, p.files]),
    [1, 2, 3].map((
      k,
    ) => [k, partPath(k, 3).slice(MEMBER.length + 1), [...seen.values()].filter((v) => v === k).length]),
  );
  assertEquals(
    Object.fromEntries(data.archive.files.map((f: { path: string; part: number }) => [f.path, f.part])),
    Object.fromEntries(seen),
  );
  assertEquals(data.archive.not_exported, []);
  const readme = strFromU8(zips[0]["README.txt"]);
  assertMatch(readme, /This export is in 3 parts\. Keep them together/);
  for (const k of [1, 2, 3]) assert(readme.includes(partPath(k, 3).slice(MEMBER.length + 1)), `part ${k}`);
  assertEquals(db.audit.map((a) => [a.detail.path, a.detail.parts, a.detail.files, a.detail.bytes]), [
    [partPath(1, 3), 3, 43, body.bytes],
  ]);
});

Deno.test("export-data: a file over a part's budget gets its own part; one over the limit is listed, not exported", async () => {
  // small budget and limit stand for 45 and 50 MB
  const { net, storage, handler } = setup({ partBytes: 12_000, maxObjectBytes: 20_000 });
  storage.put("recordings", `${MEMBER}/long.ogg`, bytes(15_000, 7), "audio/ogg"); // own part
  storage.put("recordings", `${MEMBER}/huge.ogg`, bytes(25_000, 8), "audio/ogg"); // over the limit
  const body = await (await handler(post())).json();
  assertEquals(body.not_exported.map((f: { path: string; bytes: number }) => [f.path, f.bytes]), [
    ["recordings/huge.ogg", 25_000],
  ]);
  assertMatch(body.not_exported[0].reason, /larger than the biggest archive part the server can store/);
  const contents = [];
  for (const part of body.parts as PartOut[]) {
    assert(part.bytes <= 20_000, `${part.path}: ${part.bytes}`);
    contents.push(Object.keys(await openArchive(net, part.url)).sort());
  }
  const own = contents.findIndex((c) => c.includes("recordings/long.ogg"));
  assert(own > 0);
  assertEquals(contents[own], ["recordings/long.ogg"]);
  assertEquals(contents.flat().filter((p) => p === "recordings/huge.ogg"), []);
  assertEquals(contents.flat().filter((p) => !["data.json", "README.txt"].includes(p)).sort(), [
    "recordings/2026-11-30.ogg",
    "recordings/long.ogg",
    "recordings/old/2026-10-01.ogg",
    "vision-boards/tiles/cabin.jpg",
  ]);
  const zip = await openArchive(net, body.url);
  const data = JSON.parse(strFromU8(zip["data.json"]));
  assertEquals(data.archive.not_exported.map((f: { path: string }) => f.path), ["recordings/huge.ogg"]);
  assertMatch(strFromU8(zip["README.txt"]), /Not in this export \(1\):\n {2}recordings\/huge\.ogg: This file/);
});

Deno.test("export-data: a new export removes the member's earlier ones, not anyone else's", async () => {
  const { db, net, storage, handler } = setup();
  const yesterday = new Date(NOW.getTime() - 86_400_000);
  const earlier = makeExportDataHandler({
    db,
    authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
    storage: new StorageAdmin(SUPABASE_URL, SERVICE_ROLE_KEY, net.fetch),
    now: () => yesterday,
    partBytes: 6_000, // several parts
  });
  const old = await (await earlier(post())).json();
  const theirs = await (await earlier(post({}, "stranger-token"))).json();
  assert(old.parts.length > 1);
  storage.put(EXPORTS_BUCKET, `${MEMBER}/export-20251001T000000Z.zip`, bytes(10, 1)); // a one-file archive of before
  storage.put(EXPORTS_BUCKET, `${MEMBER}/notes/keep.txt`, bytes(10, 2)); // not an archive: not ours to remove
  const res = await handler(post());
  assertEquals(res.status, 200);
  const now = await res.json();
  assertEquals(
    storage.names(EXPORTS_BUCKET),
    [
      ...theirs.parts.map((p: PartOut) => p.path),
      now.path,
      `${MEMBER}/notes/keep.txt`,
    ].sort(),
  );
  assertEquals(db.audit.at(-1)!.detail.removed, old.parts.length + 1);
  assertEquals((await net.fetch(old.url)).status, 400); // the old link reads nothing now
});

Deno.test("export-data: a part that cannot be written leaves no partial export and the earlier one in place", async () => {
  const { db, storage, handler } = setup({ partBytes: 6_000 });
  storage.put(EXPORTS_BUCKET, partPath(1, 1, "20261201T080000Z"), bytes(10, 1));
  const before = db.audit.length;
  // the last part written is part 1: parts 2…n are stored by then and must go again
  storage.failWith = (req) =>
    req.method === "POST" && req.url.pathname.includes("-part-1-of-")
      ? jsonResponse({ statusCode: "500", error: "internal", message: "disk full" }, 500)
      : null;
  const res = await handler(post());
  assertEquals(res.status, 502);
  assertEquals((await res.json()).error.code, "storage_unavailable");
  assert(storage.net.to(/\/object\/exports\/.*-part-2-of-/).some((r) => r.method === "POST")); // was written
  assertEquals(storage.names(EXPORTS_BUCKET), [partPath(1, 1, "20261201T080000Z")]);
  assertEquals(db.audit.length, before);
});

Deno.test("export-data: a file deleted or grown during the export is listed with the reason", async () => {
  const { net, storage, handler } = setup({ partBytes: 12_000, maxObjectBytes: 20_000 });
  storage.failWith = (req) => {
    if (req.method === "GET" && req.url.pathname.endsWith("/recordings/" + MEMBER + "/2026-11-30.ogg")) {
      return jsonResponse({ statusCode: "404", error: "not_found", message: "Object not found" }, 400);
    }
    if (req.url.pathname.endsWith("/object/list/vision-boards") && JSON.parse(req.body).prefix.endsWith("/tiles/")) {
      return jsonResponse([{ name: "cabin.jpg", id: "1", metadata: { size: 10 } }]); // listed small, 30 KB when read
    }
    return null;
  };
  storage.put("vision-boards", `${MEMBER}/tiles/cabin.jpg`, bytes(30_000, 4), "image/jpeg");
  const res = await handler(post());
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(body.not_exported.map((f: { path: string; reason: string }) => [f.path, f.reason]), [
    ["recordings/2026-11-30.ogg", "It was deleted while the export was being written."],
    [
      "vision-boards/tiles/cabin.jpg",
      "It changed while the export was being written and no longer fit in its part. Export again to include it.",
    ],
  ]);
  const all: string[] = [];
  for (const part of body.parts as PartOut[]) all.push(...Object.keys(await openArchive(net, part.url)));
  assertEquals(all.sort(), ["README.txt", "data.json", "recordings/old/2026-10-01.ogg"]);
  const data = JSON.parse(strFromU8((await openArchive(net, body.url))["data.json"]));
  assertEquals(data.archive.files.map((f: { path: string }) => f.path), ["recordings/old/2026-10-01.ogg"]);
  assertEquals(data.archive.not_exported.length, 2);
});

Deno.test("export-data: Storage refusing a part as too large is a clear 413 and leaves nothing", async () => {
  // planned within a (wrongly configured) 70 MB limit, refused by the bucket's 50 MB
  const { db, storage, handler } = setup({ partBytes: 60 * MiB, maxObjectBytes: 70 * MiB });
  storage.put("recordings", `${MEMBER}/huge.ogg`, big(51 * MiB, 9), "audio/ogg");
  const res = await handler(post());
  assertEquals(res.status, 413);
  const { error } = await res.json();
  assertEquals(error.code, "export_too_large");
  assertMatch(error.message, /Part 1 of your export came to 52 MB, more than the server can store in one file/);
  assertEquals(storage.names(EXPORTS_BUCKET), []);
  assertEquals(db.audit, []);
});
