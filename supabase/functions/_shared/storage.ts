// Supabase Storage API as the service role (headers apikey + Authorization: Bearer
// SUPABASE_SERVICE_ROLE_KEY), for a member's files: deleting through the API removes the stored
// bytes, not just the storage.objects row (and hosted Supabase refuses SQL deletes there); the
// export reads them and writes the archive.
// - POST {SUPABASE_URL}/storage/v1/object/list/{bucket} {"prefix", "limit", "offset"} → one
//   folder level: files (id set, metadata.size, created_at) and sub-folders (id null), names
//   relative to the prefix;
// - DELETE {SUPABASE_URL}/storage/v1/object/{bucket} {"prefixes": [full object names]} (≤ 1000);
// - GET {SUPABASE_URL}/storage/v1/object/{bucket}/{name} → the object's bytes;
// - POST {SUPABASE_URL}/storage/v1/object/{bucket}/{name} (body = bytes, Content-Type, x-upsert) → {"Key"};
// - POST {SUPABASE_URL}/storage/v1/object/sign/{bucket}/{name} {"expiresIn": seconds} →
//   {"signedURL": "/object/sign/{bucket}/{name}?token=…"}, relative to {SUPABASE_URL}/storage/v1.

/** The buckets that hold members' files, each in a `{user_id}/` folder (migration …_storage.sql). */
export const MEMBER_BUCKETS = ["recordings", "vision-boards", "exports"] as const;

const PAGE = 1000; // the Storage API's maximum for both list and delete

export class StorageError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface ListEntry {
  name: string;
  id: string | null;
  metadata?: { size?: number } | null;
  created_at?: string | null;
}

export interface StoredFile {
  name: string; // the full object name
  size: number; // bytes, as the Storage API reports them (0 when it does not)
  createdAt: string | null; // ISO time the object was created, as the Storage API reports it
}

/** An object name in a URL path: each segment encoded, the slashes kept. */
export const objectPath = (bucket: string, name: string) =>
  [bucket, ...name.split("/")].map(encodeURIComponent).join("/");

export class StorageAdmin {
  private readonly base: string;

  constructor(
    supabaseUrl: string,
    private readonly serviceRoleKey: string,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly timeoutMs = 20_000,
  ) {
    this.base = `${supabaseUrl.replace(/\/+$/, "")}/storage/v1`;
  }

  private async send(
    method: string,
    path: string,
    body: BodyInit | null,
    headers: Record<string, string>,
  ): Promise<Response> {
    try {
      return await this.fetchFn(`${this.base}${path}`, {
        method,
        headers: { apikey: this.serviceRoleKey, Authorization: `Bearer ${this.serviceRoleKey}`, ...headers },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new StorageError(0, `${method} ${path}: ${err instanceof Error ? err.message : err}`);
    }
  }

  private async call(
    method: string,
    path: string,
    body: unknown,
    raw?: { body: BodyInit; headers: Record<string, string> },
  ): Promise<unknown> {
    const res = raw
      ? await this.send(method, path, raw.body, raw.headers)
      : await this.send(method, path, JSON.stringify(body), { "Content-Type": "application/json" });
    const text = await res.text();
    if (!res.ok) throw new StorageError(res.status, `${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      throw new StorageError(res.status, `${method} ${path}: not JSON: ${text.slice(0, 300)}`);
    }
  }

  /** Every object name under `prefix` (ending in "/"), sub-folders included. */
  async listAll(bucket: string, prefix: string): Promise<string[]> {
    return (await this.listFiles(bucket, prefix)).map((f) => f.name);
  }

  /** Every object under `prefix` (ending in "/") with its size, sub-folders included. */
  async listFiles(bucket: string, prefix: string): Promise<StoredFile[]> {
    const files: StoredFile[] = [];
    for (let offset = 0;; offset += PAGE) {
      const page = await this.call("POST", `/object/list/${encodeURIComponent(bucket)}`, {
        prefix,
        limit: PAGE,
        offset,
      });
      if (!Array.isArray(page)) throw new StorageError(200, `list ${bucket}/${prefix}: not a list`);
      for (const entry of page as ListEntry[]) {
        if (entry.id === null || entry.id === undefined) {
          files.push(...await this.listFiles(bucket, `${prefix}${entry.name}/`));
        } else {
          files.push({
            name: `${prefix}${entry.name}`,
            size: Number(entry.metadata?.size ?? 0),
            createdAt: typeof entry.created_at === "string" ? entry.created_at : null,
          });
        }
      }
      if (page.length < PAGE) return files;
    }
  }

  /** The bytes of one object. */
  async download(bucket: string, name: string): Promise<Uint8Array> {
    const path = `/object/${objectPath(bucket, name)}`;
    const res = await this.send("GET", path, null, {});
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      throw new StorageError(res.status, `GET ${path}: ${res.status} ${text.slice(0, 300)}`);
    }
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Writes one object (replacing one of the same name). */
  async upload(bucket: string, name: string, bytes: Uint8Array<ArrayBuffer>, contentType: string): Promise<void> {
    await this.call("POST", `/object/${objectPath(bucket, name)}`, null, {
      body: bytes,
      headers: { "Content-Type": contentType, "x-upsert": "true", "Cache-Control": "no-store" },
    });
  }

  /** A URL that reads one object without a key for `expiresIn` seconds. */
  async signedUrl(bucket: string, name: string, expiresIn: number): Promise<string> {
    const out = await this.call("POST", `/object/sign/${objectPath(bucket, name)}`, { expiresIn }) as {
      signedURL?: unknown;
    } | null;
    if (typeof out?.signedURL !== "string") throw new StorageError(200, `sign ${bucket}/${name}: no signedURL`);
    return `${this.base}${out.signedURL.startsWith("/") ? "" : "/"}${out.signedURL}`;
  }

  /** Deletes these objects (in batches of 1000). */
  async remove(bucket: string, names: string[]): Promise<void> {
    for (let i = 0; i < names.length; i += PAGE) {
      await this.call("DELETE", `/object/${encodeURIComponent(bucket)}`, { prefixes: names.slice(i, i + PAGE) });
    }
  }

  /** Deletes everything under `prefix` (ending in "/"); returns how many objects there were. */
  async removeFolder(bucket: string, prefix: string): Promise<number> {
    const names = await this.listAll(bucket, prefix);
    await this.remove(bucket, names);
    return names.length;
  }
}
