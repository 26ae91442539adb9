// Supabase Storage at the fetch boundary, with the service-role key:
// POST {SUPABASE_URL}/storage/v1/object/list/{bucket} {"prefix", "limit", "offset"} answers one
// folder level (files with an id, sub-folders with id null, names relative to the prefix, sorted
// by name); DELETE {SUPABASE_URL}/storage/v1/object/{bucket} {"prefixes"} removes those objects
// and answers the removed ones. Objects live in `objects` (bucket → set of full names).
import { FakeFetch, jsonResponse, type Recorded, SUPABASE_URL } from "./fake_fetch.ts";

export const SERVICE_ROLE_KEY = "service-role-key";

export class FakeStorage {
  objects = new Map<string, Set<string>>();
  failWith: ((req: Recorded) => Response | null) | null = null;

  constructor(readonly net: FakeFetch = new FakeFetch()) {
    const base = SUPABASE_URL.replace(/[.]/g, "\\.");
    const guard = (handler: (req: Recorded, bucket: string) => Response) => (req: Recorded) => {
      if (
        req.headers.get("apikey") !== SERVICE_ROLE_KEY ||
        req.headers.get("Authorization") !== `Bearer ${SERVICE_ROLE_KEY}`
      ) {
        return jsonResponse({ statusCode: "403", error: "Unauthorized", message: "invalid signature" }, 400);
      }
      const failed = this.failWith?.(req);
      if (failed) return failed;
      const bucket = decodeURIComponent(req.url.pathname.split("/").pop()!);
      if (!this.objects.has(bucket)) {
        return jsonResponse({ statusCode: "404", error: "Bucket not found", message: "Bucket not found" }, 400);
      }
      return handler(req, bucket);
    };
    net.on(
      "POST",
      new RegExp(`^${base}/storage/v1/object/list/[^/]+$`),
      guard((req, bucket) => {
        const { prefix = "", limit = 100, offset = 0 } = JSON.parse(req.body);
        const entries = new Map<string, Record<string, unknown>>();
        for (const name of this.objects.get(bucket)!) {
          if (!name.startsWith(prefix)) continue;
          const rest = name.slice(prefix.length);
          const slash = rest.indexOf("/");
          if (slash >= 0) {
            const folder = rest.slice(0, slash);
            entries.set(folder, {
              name: folder,
              id: null,
              updated_at: null,
              created_at: null,
              last_accessed_at: null,
              metadata: null,
            });
          } else {
            entries.set(rest, {
              name: rest,
              id: crypto.randomUUID(),
              updated_at: "2026-11-26T10:00:00Z",
              created_at: "2026-11-26T10:00:00Z",
              last_accessed_at: "2026-11-26T10:00:00Z",
              metadata: { size: 1024, mimetype: "application/octet-stream" },
            });
          }
        }
        const sorted = [...entries.keys()].sort().map((k) => entries.get(k)!);
        return jsonResponse(sorted.slice(offset, offset + limit));
      }),
    );
    net.on(
      "DELETE",
      new RegExp(`^${base}/storage/v1/object/[^/]+$`),
      guard((req, bucket) => {
        const { prefixes } = JSON.parse(req.body);
        if (!Array.isArray(prefixes) || prefixes.length === 0 || prefixes.length > 1000) {
          return jsonResponse({ statusCode: "400", error: "Bad Request", message: "prefixes: 1 to 1000 names" }, 400);
        }
        const set = this.objects.get(bucket)!;
        const removed = prefixes.filter((n: string) => set.delete(n));
        return jsonResponse(removed.map((name: string) => ({ name, bucket_id: bucket, id: crypto.randomUUID() })));
      }),
    );
  }

  add(bucket: string, ...names: string[]): this {
    const set = this.objects.get(bucket) ?? new Set<string>();
    for (const n of names) set.add(n);
    this.objects.set(bucket, set);
    return this;
  }

  names(bucket: string): string[] {
    return [...(this.objects.get(bucket) ?? [])].sort();
  }
}
