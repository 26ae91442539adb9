// POST /export-data (member JWT), body {} → {"url", "expires_at", "path", "bytes", "parts",
// "not_exported"}: the member's whole account, built here on the server, so readings made on
// other devices and never downloaded are in it too (web and new devices). Any size of account:
// the archive is written in parts, each a zip under the exports bucket's per-object limit,
//   exports/<user_id>/export-<UTC timestamp>-part-<k>-of-<n>.zip
// Part 1 holds data.json (public.export_member: profile, settings, every affirmations version,
// daily sessions with the recordings' metadata, tiles, devices, AI usage, audit rows, plus
// "archive": every part, which part holds each file, the files not exported and why, and the
// files the rows name but Storage lacks) and README.txt (the parts, in words). Every part holds
// files of the member's `recordings` and `vision-boards` folders under recordings/… and
// vision-boards/…; a file is never split across parts. "url" and "path" are part 1's (clients
// that know one archive keep working), "bytes" the total, "parts" every part's {url, path, bytes}.
//
// Memory stays bounded by one part: the plan is made from the sizes Storage lists, then the parts
// are written one after the other (2…n, then 1, so data.json can say what really happened); for
// each part one PartWriter buffer is filled file by file (download → copy into the buffer → the
// file's bytes dropped), uploaded, and dropped before the next part starts. Peak: one part (at
// most the part budget, or the per-object limit for a file with a part of its own) plus one file.
//
// Paths come from the authenticated member, never from the body. A new export removes the
// member's earlier ones once it is complete; purge-exports removes any older than 7 days.
import { strToU8 } from "fflate";
import type { Db } from "../_shared/db.ts";
import { HttpError, json, readJsonObject, route } from "../_shared/http.ts";
import { logger, type LogSink } from "../_shared/log.ts";
import { admitMember, type MemberGate } from "../_shared/member.ts";
import type { StorageAdmin } from "../_shared/storage.ts";
import { entryBytes, type ListedFile, PartWriter, type Plan, planParts, ZIP_END_BYTES } from "./parts.ts";

export const EXPORTS_BUCKET = "exports";
/** The member folders whose files go into the archive, each under its bucket's name. */
export const ARCHIVED_BUCKETS = ["recordings", "vision-boards"] as const;
export const LINK_SECONDS = 15 * 60;
/** The exports bucket's file_size_limit (migration …_storage.sql). */
export const MAX_OBJECT_BYTES = 50 * 1024 * 1024;
/** What a part is planned to hold at most; the rest up to the limit absorbs files that grow
 * between listing and download. */
export const PART_BYTES = 45 * 1024 * 1024;

export interface ExportDeps extends MemberGate {
  db: Db;
  storage: StorageAdmin;
  now?: () => Date;
  partBytes?: number;
  maxObjectBytes?: number;
  log?: LogSink;
}

const stamp = (at: Date) => at.toISOString().slice(0, 19).replace(/[-:]/g, "") + "Z";

/** `export-20261202T031500Z-part-1-of-3.zip`: the UTC time to the second (sortable), the part, no
 * characters URLs mangle. */
export function exportName(at: Date, part: number, parts: number): string {
  return `export-${stamp(at)}-part-${part}-of-${parts}.zip`;
}

/** An archive's time from its name (also the one-file `export-<ts>.zip` of earlier versions). */
export function exportTime(name: string): string | null {
  return /^export-(\d{8}T\d{6}Z)(?:-part-\d+-of-\d+)?\.zip$/.exec(name)?.[1] ?? null;
}

const FOLDER_KEYS = ["user_id", "member_id", "userId", "folder", "path", "prefix", "bucket", "name"];

/** The body must be {}: the archive is always the caller's own, in their own folder. */
function checkBody(body: Record<string, unknown>, memberId: string): void {
  for (const [key, value] of Object.entries(body)) {
    if (FOLDER_KEYS.includes(key)) {
      const own = value === memberId || value === `${memberId}/` || value === EXPORTS_BUCKET;
      throw new HttpError(
        400,
        own ? "invalid_request" : "not_your_folder",
        own
          ? `Send an empty body: "${key}" is not needed, the export is always of your own account.`
          : `You can only export your own account: "${key}" cannot name another member or folder. ` +
            "Send an empty body.",
      );
    }
    throw new HttpError(400, "invalid_request", `Unknown field "${key}": send an empty body.`);
  }
}

const mb = (bytes: number) => `${Math.ceil(bytes / (1024 * 1024))} MB`;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** The Storage API says "not found" as a 404, or (older versions) as statusCode in a 400's body. */
const saysStatus = (err: unknown, code: number) =>
  (err as { status?: number }).status === code || new RegExp(`"statusCode":\\s*"${code}"`).test(message(err));

const UNAVAILABLE = "Your files could not be read or saved right now, so no export was made. Please try again.";

interface Exported {
  bucket: string;
  name: string;
  path: string;
  bytes: number;
  part: number;
}
interface NotExported {
  bucket: string;
  name: string;
  path: string;
  bytes: number;
  reason: string;
}

const tooLargeReason = (f: ListedFile, limit: number) =>
  `This file (${mb(f.size)}) is larger than the biggest archive part the server can store (${mb(limit)}). ` +
  "It is still in your account: the app's own export saves it to your device.";
const GONE = "It was deleted while the export was being written.";
const GREW = "It changed while the export was being written and no longer fit in its part. Export again to include it.";

/** data.json and README.txt for this outcome, as bytes. */
function documents(
  data: Record<string, unknown>,
  at: Date,
  names: string[],
  files: Exported[],
  notExported: NotExported[],
  missing: string[],
): { dataJson: Uint8Array; readme: Uint8Array } {
  const count = (k: number) => files.filter((f) => f.part === k).length;
  const parts = names.map((name, i) => ({ part: i + 1, name, files: count(i + 1) }));
  const dataJson = strToU8(
    JSON.stringify({ ...data, archive: { parts, files, not_exported: notExported, missing } }, null, 2),
  );
  const lines = [
    `Chris Disciplined: your account as of ${at.toISOString().slice(0, 19).replace("T", " ")} UTC`,
    "",
    names.length === 1
      ? "This export is one archive:"
      : `This export is in ${names.length} parts. Keep them together; unzip them all into one folder:`,
    ...parts.map((p) =>
      `  ${p.name}  ${p.part === 1 ? "data.json, this file and " : ""}${p.files} file${p.files === 1 ? "" : "s"}`
    ),
    "",
    "data.json holds your account: profile, settings, every version of your affirmations, your days,",
    'your vision board, devices, AI use and account activity. Its "archive" says which part holds',
    "each file. recordings/ holds your readings, vision-boards/ your board's images.",
  ];
  if (notExported.length) {
    lines.push("", `Not in this export (${notExported.length}):`);
    for (const f of notExported) lines.push(`  ${f.path}: ${f.reason}`);
  }
  if (missing.length) {
    lines.push("", `Named by your days or board but never stored on the server (${missing.length}):`);
    for (const p of missing) lines.push(`  ${p}`);
  }
  return { dataJson, readme: strToU8(lines.join("\n") + "\n") };
}

export function makeExportDataHandler(deps: ExportDeps): (req: Request) => Promise<Response> {
  const log = logger(deps.log);
  const budget = deps.partBytes ?? PART_BYTES;
  const limit = deps.maxObjectBytes ?? MAX_OBJECT_BYTES;
  const storageDown = (what: string, err: unknown) => {
    log(`export-data: storage error (${what})`, err);
    return new HttpError(502, "storage_unavailable", UNAVAILABLE);
  };

  return route(async (req) => {
    const member = await admitMember(deps, req);
    checkBody(await readJsonObject(req), member.id);
    const folder = `${member.id}/`;

    const data = await deps.db.exportMember(member.id);
    if (!data) throw new HttpError(404, "no_profile", "Your account is not set up yet. Try again in a moment.");

    // What there is to pack, before anything is downloaded.
    const listed: ListedFile[] = [];
    for (const bucket of ARCHIVED_BUCKETS) {
      let found;
      try {
        found = await deps.storage.listFiles(bucket, folder);
      } catch (err) {
        throw storageDown(`list ${bucket}`, err);
      }
      for (const f of found) {
        if (!f.name.startsWith(folder)) continue; // listFiles is by prefix; never another member's
        listed.push({ bucket, name: f.name, path: `${bucket}/${f.name.slice(folder.length)}`, size: f.size });
      }
    }
    // Paths the rows name that Storage does not have (uploads that never finished): said, not hidden.
    const have = new Set(listed.map((f) => `${f.bucket}/${f.name}`));
    const named = [
      ...((data.daily_sessions as { recording_path?: string | null }[] | undefined) ?? [])
        .map((s) => s.recording_path ? `recordings/${s.recording_path}` : null),
      ...((data.vision_boards as { image_path?: string | null }[] | undefined) ?? [])
        .map((t) => t.image_path ? `vision-boards/${t.image_path}` : null),
    ].filter((p): p is string => p !== null);
    const missing = [...new Set(named.filter((p) => !have.has(p)))].sort();

    const at = (deps.now ?? (() => new Date()))();
    const exported = (f: ListedFile) => ({ bucket: f.bucket, name: f.name, path: f.path, bytes: f.size });
    const asPlanned = (plan: Plan) => ({
      names: plan.parts.map((_, i) => exportName(at, i + 1, plan.parts.length)),
      files: plan.parts.flatMap((fs, i) => fs.map((f) => ({ ...exported(f), part: i + 1 }))),
      notExported: plan.tooLarge.map((f) => ({ ...exported(f), reason: tooLargeReason(f, limit) })),
    });
    const docsBytes = (plan: Plan) => {
      const p = asPlanned(plan);
      const d = documents(data, at, p.names, p.files, p.notExported, missing);
      return entryBytes("data.json", d.dataJson.length) + entryBytes("README.txt", d.readme.length);
    };
    // room kept in part 1 beyond the planned documents, for what they gain if files change meanwhile
    const slack = Math.min(16 * 1024, Math.floor(budget / 100));
    const plan = planParts(listed, budget, limit, docsBytes, slack);
    const n = plan.parts.length;
    const names = plan.parts.map((_, i) => exportName(at, i + 1, n));
    const files: Exported[] = [];
    const notExported: NotExported[] = asPlanned(plan).notExported;

    /** Part k's files, one at a time, into one buffer; `room` is kept for what comes after them. */
    const fill = async (k: number, room: number): Promise<PartWriter> => {
      const planned = plan.parts[k - 1].reduce((s, f) => s + entryBytes(f.path, f.size), ZIP_END_BYTES);
      const part = new PartWriter(planned + room, at);
      for (const f of plan.parts[k - 1]) {
        let bytes: Uint8Array | null;
        try {
          bytes = await deps.storage.download(f.bucket, f.name);
        } catch (err) {
          if (!saysStatus(err, 404)) throw storageDown(`download ${f.bucket}`, err);
          notExported.push({ ...exported(f), reason: GONE });
          continue;
        }
        if (part.sizeWith(f.path, bytes.length) + room > limit) {
          notExported.push({ ...exported(f), bytes: bytes.length, reason: GREW });
          continue;
        }
        part.add(f.path, bytes);
        files.push({ ...exported(f), bytes: bytes.length, part: k });
        bytes = null; // copied into the part: the only reference goes before the next download
      }
      return part;
    };

    const uploaded: { path: string; bytes: number }[] = [];
    const put = async (k: number, part: PartWriter) => {
      const zip = part.finish();
      const path = `${folder}${names[k - 1]}`;
      try {
        await deps.storage.upload(EXPORTS_BUCKET, path, zip, "application/zip");
      } catch (err) {
        part.release();
        if (saysStatus(err, 413)) {
          throw new HttpError(
            413,
            "export_too_large",
            `Part ${k} of your export came to ${mb(zip.length)}, more than the server can store in one ` +
              `file (${mb(limit)}). Export from the app instead: it saves your files to your device.`,
          );
        }
        throw storageDown("upload", err);
      }
      part.release();
      uploaded.push({ path, bytes: zip.length });
    };

    try {
      for (let k = 2; k <= n; k++) await put(k, await fill(k, 0));
      const reserve = docsBytes(plan) + slack; // the documents are made after part 1's files
      const first = await fill(1, reserve);
      files.sort((a, b) => a.part - b.part || (a.path < b.path ? -1 : 1));
      const docs = documents(data, at, names, files, notExported, missing);
      first.add("data.json", docs.dataJson);
      first.add("README.txt", docs.readme);
      await put(1, first);
    } catch (err) {
      // an export is whole or not there: the parts already written go
      if (uploaded.length) {
        await deps.storage.remove(EXPORTS_BUCKET, uploaded.map((u) => u.path))
          .catch((e) => log("export-data: could not remove an unfinished export's parts", e));
      }
      throw err;
    }
    const partsOut = names.map((name) => uploaded.find((u) => u.path === `${folder}${name}`)!);

    // The member's earlier exports go now that this one is complete (only older ones: an export
    // running at the same time from another device keeps its parts).
    let removed = 0;
    try {
      const old = (await deps.storage.listFiles(EXPORTS_BUCKET, folder))
        .map((f) => f.name)
        .filter((name) => {
          const t = exportTime(name.slice(folder.length));
          return t !== null && t < stamp(at);
        });
      if (old.length) await deps.storage.remove(EXPORTS_BUCKET, old);
      removed = old.length;
    } catch (err) {
      log("export-data: earlier exports not removed (purge-exports will)", err);
    }

    const total = uploaded.reduce((s, u) => s + u.bytes, 0);
    await deps.db.recordAudit(member.id, "export_created", "member", {
      path: partsOut[0].path,
      parts: n,
      bytes: total,
      files: files.length,
      missing: missing.length,
      not_exported: notExported.length,
      removed,
    });
    const parts = [];
    for (const p of partsOut) {
      try {
        parts.push({ url: await deps.storage.signedUrl(EXPORTS_BUCKET, p.path, LINK_SECONDS), ...p });
      } catch (err) {
        throw storageDown("sign", err);
      }
    }
    return json({
      url: parts[0].url,
      expires_at: new Date(at.getTime() + LINK_SECONDS * 1000).toISOString(),
      path: parts[0].path,
      bytes: total,
      parts,
      not_exported: notExported.map((f) => ({ path: f.path, bytes: f.bytes, reason: f.reason })),
    });
  });
}
