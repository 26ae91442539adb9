// POST /purge-exports (scheduled daily; header x-cron-secret) → {"deleted", "kept", "members"}:
// removes export archives older than 7 days from the `exports` bucket through the Storage API as
// the service role (that deletes the bytes). The links export-data hands out last 15 minutes and
// a new export removes the member's earlier ones, so what is left here is the last export of
// members who have not exported since; a week is time enough to download it again.
// An object's age is the created_at the Storage API lists; one it cannot date is kept.
// Listing walks the bucket's member folders (`POST /storage/v1/object/list/exports`, page by
// page): only members with an export have one, and each holds one export's parts.
import { json, requireCronSecret, route } from "../_shared/http.ts";
import type { StorageAdmin } from "../_shared/storage.ts";

export const EXPORTS_BUCKET = "exports";
export const KEEP_DAYS = 7;

export interface PurgeExportsDeps {
  storage: StorageAdmin;
  cronSecret: string;
  now?: () => Date;
  keepDays?: number;
}

export function makePurgeExportsHandler(deps: PurgeExportsDeps): (req: Request) => Promise<Response> {
  return route(async (req) => {
    requireCronSecret(req, deps.cronSecret);
    const cutoff = (deps.now ?? (() => new Date()))().getTime() - (deps.keepDays ?? KEEP_DAYS) * 86_400_000;
    // a Storage failure is unexpected here: 500, logged and reported (http.ts); the next run retries
    const objects = await deps.storage.listFiles(EXPORTS_BUCKET, "");
    const old = objects.filter((o) => {
      const created = o.createdAt ? Date.parse(o.createdAt) : NaN;
      return Number.isFinite(created) && created < cutoff;
    }).map((o) => o.name);
    if (old.length) await deps.storage.remove(EXPORTS_BUCKET, old);
    return json({
      deleted: old.length,
      kept: objects.length - old.length,
      members: new Set(old.map((name) => name.split("/")[0])).size,
    });
  });
}
