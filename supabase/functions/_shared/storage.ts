// Supabase Storage API as the service role (headers apikey + Authorization: Bearer
// SUPABASE_SERVICE_ROLE_KEY), for removing a member's files: deleting through the API removes the
// stored bytes, not just the storage.objects row (and hosted Supabase refuses SQL deletes there).
// - POST {SUPABASE_URL}/storage/v1/object/list/{bucket} {"prefix", "limit", "offset"} → one
//   folder level: files (id set) and sub-folders (id null), names relative to the prefix;
// - DELETE {SUPABASE_URL}/storage/v1/object/{bucket} {"prefixes": [full object names]} (≤ 1000).

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
}

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

  private async call(method: string, path: string, body: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${path}`, {
        method,
        headers: {
          apikey: this.serviceRoleKey,
          Authorization: `Bearer ${this.serviceRoleKey}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new StorageError(0, `${method} ${path}: ${err instanceof Error ? err.message : err}`);
    }
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
    const names: string[] = [];
    for (let offset = 0;; offset += PAGE) {
      const page = await this.call("POST", `/object/list/${encodeURIComponent(bucket)}`, {
        prefix,
        limit: PAGE,
        offset,
      });
      if (!Array.isArray(page)) throw new StorageError(200, `list ${bucket}/${prefix}: not a list`);
      for (const entry of page as ListEntry[]) {
        if (entry.id === null || entry.id === undefined) {
          names.push(...await this.listAll(bucket, `${prefix}${entry.name}/`));
        } else names.push(`${prefix}${entry.name}`);
      }
      if (page.length < PAGE) return names;
    }
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
