// POST /export-data (member JWT), body {} → {"url", "expires_at", "path", "bytes"}: the member's
// whole account as one zip, built here on the server, so readings made on other devices and never
// downloaded are in it too (web and new devices):
//   data.json             public.export_member: profile, settings, every affirmations version,
//                         daily sessions (with the recordings' metadata), tiles, devices, AI usage,
//                         plus "archive": the files below and the ones the rows name but Storage lacks;
//   recordings/…          every object of the member's `recordings` folder, through the Storage API;
//   vision-boards/…       every object of their `vision-boards` folder (the tiles' images).
// The zip goes to `exports/<user_id>/export-<UTC timestamp>.zip` (the path is built from the
// authenticated member, never from the body), 'export_created' is written to the audit log, and a
// signed URL valid for 15 minutes comes back.
//
// One archive must fit the exports bucket's file_size_limit (50 MB): the sizes Storage lists are
// added up before anything is downloaded, and an account whose files do not fit gets 413 with a
// clear message instead of a cut-down archive.
import { strToU8, type Zippable, zipSync } from "fflate";
import type { Db } from "../_shared/db.ts";
import { HttpError, json, readJsonObject, route } from "../_shared/http.ts";
import { admitMember, type MemberGate } from "../_shared/member.ts";
import type { StorageAdmin } from "../_shared/storage.ts";

export const EXPORTS_BUCKET = "exports";
/** The member folders whose files go into the archive, each under its bucket's name. */
export const ARCHIVED_BUCKETS = ["recordings", "vision-boards"] as const;
export const LINK_SECONDS = 15 * 60;
/** The exports bucket's file_size_limit (migration …_storage.sql). */
export const MAX_ARCHIVE_BYTES = 50 * 1024 * 1024;
// Room kept under the limit for data.json and the zip's own headers.
const HEADROOM = 2 * 1024 * 1024;

export interface ExportDeps extends MemberGate {
  db: Db;
  storage: StorageAdmin;
  now?: () => Date;
  maxArchiveBytes?: number;
  log?: (msg: string) => void;
}

/** `export-20261202T031500Z.zip`: the UTC time to the second, sortable, no characters URLs mangle. */
export function exportName(at: Date): string {
  return `export-${at.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z.zip`;
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

function storageDown(what: string, log: (m: string) => void, err: unknown): HttpError {
  log(`export-data: storage error (${what}): ${message(err)}`);
  return new HttpError(
    502,
    "storage_unavailable",
    "Your files could not be read or saved right now, so no export was made. Please try again.",
  );
}

export function makeExportDataHandler(deps: ExportDeps): (req: Request) => Promise<Response> {
  const log = deps.log ?? console.error;
  const maxBytes = deps.maxArchiveBytes ?? MAX_ARCHIVE_BYTES;
  return route(async (req) => {
    const member = await admitMember(deps, req);
    checkBody(await readJsonObject(req), member.id);
    const folder = `${member.id}/`;

    const data = await deps.db.exportMember(member.id);
    if (!data) throw new HttpError(404, "no_profile", "Your account is not set up yet. Try again in a moment.");

    // What there is to pack, and whether it fits, before anything is downloaded.
    const listed: { bucket: string; name: string; size: number }[] = [];
    for (const bucket of ARCHIVED_BUCKETS) {
      try {
        for (const f of await deps.storage.listFiles(bucket, folder)) listed.push({ bucket, ...f });
      } catch (err) {
        throw storageDown(`list ${bucket}`, log, err);
      }
    }
    const total = listed.reduce((n, f) => n + f.size, 0);
    if (total > maxBytes - HEADROOM) {
      throw new HttpError(
        413,
        "export_too_large",
        `Your recordings and images add up to ${mb(total)}, more than one archive can hold ` +
          `(${mb(maxBytes - HEADROOM)}). Export from the app instead: it saves them to your device.`,
      );
    }

    const files: Zippable = {};
    const archive: { bucket: string; name: string; path: string; bytes: number }[] = [];
    for (const f of listed) {
      if (!f.name.startsWith(folder)) continue; // listFiles is by prefix; never another member's
      let bytes: Uint8Array;
      try {
        bytes = await deps.storage.download(f.bucket, f.name);
      } catch (err) {
        throw storageDown(`download ${f.bucket}`, log, err);
      }
      const path = `${f.bucket}/${f.name.slice(folder.length)}`;
      files[path] = [bytes, { level: 0 }]; // audio and images are compressed already
      archive.push({ bucket: f.bucket, name: f.name, path, bytes: bytes.length });
    }
    // Paths the rows name that Storage does not have (uploads that never finished): said, not hidden.
    const have = new Set(archive.map((a) => `${a.bucket}/${a.name}`));
    const named = [
      ...((data.daily_sessions as { recording_path?: string | null }[] | undefined) ?? [])
        .map((s) => s.recording_path ? `recordings/${s.recording_path}` : null),
      ...((data.vision_boards as { image_path?: string | null }[] | undefined) ?? [])
        .map((t) => t.image_path ? `vision-boards/${t.image_path}` : null),
    ].filter((p): p is string => p !== null);
    const missing = [...new Set(named.filter((p) => !have.has(p)))].sort();

    files["data.json"] = [strToU8(JSON.stringify({ ...data, archive: { files: archive, missing } }, null, 2)), {
      level: 6,
    }];
    const at = (deps.now ?? (() => new Date()))();
    const zip = zipSync(files, { mtime: at });
    const name = `${folder}${exportName(at)}`;
    try {
      await deps.storage.upload(EXPORTS_BUCKET, name, zip, "application/zip");
    } catch (err) {
      // the Storage API says 413 as the status or, in older versions, as statusCode in a 400's body
      if ((err as { status?: number }).status === 413 || /"statusCode":\s*"413"/.test(message(err))) {
        throw new HttpError(
          413,
          "export_too_large",
          `Your archive came to ${mb(zip.length)}, more than one archive can hold (${mb(maxBytes)}). ` +
            "Export from the app instead: it saves your files to your device.",
        );
      }
      throw storageDown("upload", log, err);
    }
    await deps.db.recordAudit(member.id, "export_created", "member", {
      path: name,
      bytes: zip.length,
      files: archive.length,
      missing: missing.length,
    });
    let url: string;
    try {
      url = await deps.storage.signedUrl(EXPORTS_BUCKET, name, LINK_SECONDS);
    } catch (err) {
      throw storageDown("sign", log, err);
    }
    return json({
      url,
      expires_at: new Date(at.getTime() + LINK_SECONDS * 1000).toISOString(),
      path: name,
      bytes: zip.length,
    });
  });
}
