// Supabase Storage at the fetch boundary, with the service-role key:
// POST {SUPABASE_URL}/storage/v1/object/list/{bucket} {"prefix", "limit", "offset"} answers one
// folder level (files with an id, sub-folders with id null, names relative to the prefix, sorted
// by name); DELETE {SUPABASE_URL}/storage/v1/object/{bucket} {"prefixes"} removes those objects
// and answers the removed ones; GET /object/{bucket}/{name} answers the bytes (400 with
// statusCode "404" when missing, as the Storage API does); POST /object/{bucket}/{name} stores
// the body (409 Duplicate unless x-upsert: true; 413 over the bucket's file_size_limit) and
// answers {"Key", "Id"}; POST /object/sign/{bucket}/{name} {"expiresIn"} answers {"signedURL":
// "/object/sign/{bucket}/{name}?token=…"}, and GET of that URL (no key needed) answers the bytes
// until it expires. Objects live in `objects` (bucket → set of full names), bytes in `bytes`, the
// time each was written (by `clock`) in `createdAt`, which the list answers as created_at.
import { FakeFetch, jsonResponse, type Recorded, SUPABASE_URL } from "./fake_fetch.ts";

export const SERVICE_ROLE_KEY = "service-role-key";

/** The buckets' file_size_limit (migration …_storage.sql). */
export const BUCKET_LIMITS: Record<string, number> = {
  recordings: 50 * 1024 * 1024,
  "vision-boards": 10 * 1024 * 1024,
  exports: 50 * 1024 * 1024,
};

const notFound = () => jsonResponse({ statusCode: "404", error: "not_found", message: "Object not found" }, 400);

export class FakeStorage {
  objects = new Map<string, Set<string>>();
  bytes = new Map<string, Uint8Array>(); // `${bucket}/${name}` → content
  contentTypes = new Map<string, string>();
  createdAt = new Map<string, number>(); // `${bucket}/${name}` → ms
  signed = new Map<string, { bucket: string; name: string; expiresAt: number }>(); // token → object
  failWith: ((req: Recorded) => Response | null) | null = null;
  clock: () => number = () => Date.now();

  constructor(readonly net: FakeFetch = new FakeFetch()) {
    const base = `${SUPABASE_URL.replace(/[.]/g, "\\.")}/storage/v1`;
    const guard = (bucketOf: (req: Recorded) => string, handler: (req: Recorded, bucket: string) => Response) =>
    (
      req: Recorded,
    ) => {
      if (
        req.headers.get("apikey") !== SERVICE_ROLE_KEY ||
        req.headers.get("Authorization") !== `Bearer ${SERVICE_ROLE_KEY}`
      ) {
        return jsonResponse({ statusCode: "403", error: "Unauthorized", message: "invalid signature" }, 400);
      }
      const failed = this.failWith?.(req);
      if (failed) return failed;
      const bucket = bucketOf(req);
      if (!this.objects.has(bucket)) {
        return jsonResponse({ statusCode: "404", error: "Bucket not found", message: "Bucket not found" }, 400);
      }
      return handler(req, bucket);
    };
    const lastSegment = (req: Recorded) => decodeURIComponent(req.url.pathname.split("/").pop()!);
    // /storage/v1/object/[sign/]{bucket}/{name…}: the bucket and the decoded name
    const objectOf = (req: Recorded, skip: number) => {
      const parts = req.url.pathname.split("/").slice(4 + skip).map(decodeURIComponent);
      return { bucket: parts[0], name: parts.slice(1).join("/") };
    };

    // later routes win (FakeFetch): the specific list/sign routes are registered after these
    net.on(
      "GET",
      new RegExp(`^${base}/object/[^/]+/.+$`),
      guard((req) => objectOf(req, 0).bucket, (req, bucket) => {
        const { name } = objectOf(req, 0);
        const data = this.bytes.get(`${bucket}/${name}`);
        if (!this.objects.get(bucket)!.has(name) || !data) return notFound();
        return new Response(data.slice(), {
          headers: { "Content-Type": this.contentTypes.get(`${bucket}/${name}`) ?? "application/octet-stream" },
        });
      }),
    );
    net.on(
      "POST",
      new RegExp(`^${base}/object/[^/]+/.+$`),
      guard((req) => objectOf(req, 0).bucket, (req, bucket) => {
        const { name } = objectOf(req, 0);
        const set = this.objects.get(bucket)!;
        if (set.has(name) && req.headers.get("x-upsert") !== "true") {
          return jsonResponse({ statusCode: "409", error: "Duplicate", message: "The resource already exists" }, 400);
        }
        const body = req.bodyBytes ?? new Uint8Array();
        if (body.length > (BUCKET_LIMITS[bucket] ?? Infinity)) {
          return jsonResponse({
            statusCode: "413",
            error: "Payload too large",
            message: "The object exceeded the maximum allowed size",
          }, 413);
        }
        set.add(name);
        this.bytes.set(`${bucket}/${name}`, body);
        this.contentTypes.set(`${bucket}/${name}`, req.headers.get("Content-Type") ?? "application/octet-stream");
        this.createdAt.set(`${bucket}/${name}`, this.clock());
        return jsonResponse({ Key: `${bucket}/${name}`, Id: crypto.randomUUID() });
      }),
    );
    net.on(
      "POST",
      new RegExp(`^${base}/object/list/[^/]+$`),
      guard(lastSegment, (req, bucket) => {
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
            const at = new Date(this.createdAt.get(`${bucket}/${name}`) ?? Date.UTC(2026, 10, 26, 10)).toISOString();
            entries.set(rest, {
              name: rest,
              id: crypto.randomUUID(),
              updated_at: at,
              created_at: at,
              last_accessed_at: at,
              metadata: {
                size: this.bytes.get(`${bucket}/${name}`)?.length ?? 1024,
                mimetype: this.contentTypes.get(`${bucket}/${name}`) ?? "application/octet-stream",
              },
            });
          }
        }
        const sorted = [...entries.keys()].sort().map((k) => entries.get(k)!);
        return jsonResponse(sorted.slice(offset, offset + limit));
      }),
    );
    net.on(
      "POST",
      new RegExp(`^${base}/object/sign/[^/]+/.+$`),
      guard((req) => objectOf(req, 1).bucket, (req, bucket) => {
        const { name } = objectOf(req, 1);
        const { expiresIn } = JSON.parse(req.body || "{}");
        if (!Number.isInteger(expiresIn) || expiresIn < 1) {
          return jsonResponse({ statusCode: "400", error: "Bad Request", message: "expiresIn must be >= 1" }, 400);
        }
        if (!this.objects.get(bucket)!.has(name)) return notFound();
        const token = crypto.randomUUID().replaceAll("-", "");
        this.signed.set(token, { bucket, name, expiresAt: this.clock() + expiresIn * 1000 });
        const path = [bucket, ...name.split("/")].map(encodeURIComponent).join("/");
        return jsonResponse({ signedURL: `/object/sign/${path}?token=${token}` });
      }),
    );
    // reading through a signed URL needs no key, only the token
    net.on("GET", new RegExp(`^${base}/object/sign/[^/]+/.+\\?token=.+$`), (req) => {
      const s = this.signed.get(req.url.searchParams.get("token") ?? "");
      const { bucket, name } = objectOf(req, 1);
      if (!s || s.bucket !== bucket || s.name !== name || this.clock() > s.expiresAt) {
        return jsonResponse({ statusCode: "400", error: "InvalidJWT", message: "jwt expired or invalid" }, 400);
      }
      const data = this.bytes.get(`${bucket}/${name}`);
      return data ? new Response(data.slice()) : notFound();
    });
    net.on(
      "DELETE",
      new RegExp(`^${base}/object/[^/]+$`),
      guard(lastSegment, (req, bucket) => {
        const { prefixes } = JSON.parse(req.body);
        if (!Array.isArray(prefixes) || prefixes.length === 0 || prefixes.length > 1000) {
          return jsonResponse({ statusCode: "400", error: "Bad Request", message: "prefixes: 1 to 1000 names" }, 400);
        }
        const set = this.objects.get(bucket)!;
        const removed = prefixes.filter((n: string) => set.delete(n));
        for (const n of removed) this.bytes.delete(`${bucket}/${n}`), this.createdAt.delete(`${bucket}/${n}`);
        return jsonResponse(removed.map((name: string) => ({ name, bucket_id: bucket, id: crypto.randomUUID() })));
      }),
    );
  }

  /** Adds objects (their content: the name's bytes). */
  add(bucket: string, ...names: string[]): this {
    for (const n of names) this.put(bucket, n, new TextEncoder().encode(`content of ${n}`));
    return this;
  }

  put(bucket: string, name: string, data: Uint8Array, contentType = "application/octet-stream"): this {
    const set = this.objects.get(bucket) ?? new Set<string>();
    set.add(name);
    this.objects.set(bucket, set);
    this.bytes.set(`${bucket}/${name}`, data);
    this.contentTypes.set(`${bucket}/${name}`, contentType);
    this.createdAt.set(`${bucket}/${name}`, this.clock());
    return this;
  }

  /** An empty bucket (so requests to it are not "Bucket not found"). */
  bucket(name: string): this {
    if (!this.objects.has(name)) this.objects.set(name, new Set());
    return this;
  }

  names(bucket: string): string[] {
    return [...(this.objects.get(bucket) ?? [])].sort();
  }
}
