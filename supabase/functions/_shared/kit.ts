// Kit (formerly ConvertKit) API v4: https://api.kit.com/v4/..., header X-Kit-Api-Key.
// - POST /v4/subscribers: upsert by email_address, with first_name and custom `fields`
//   (the fields must exist: ensureCustomFields creates the missing ones by label);
// - POST /v4/tags/{tag_id}/subscribers: tag an existing subscriber by email (a tag is what
//   starts a Kit automation: the weekly email, a reminder email);
// - GET/POST /v4/custom_fields.
// Broadcasts go to segments, never to one member (docs/rules.md, plan defect 11).

export const KIT_API = "https://api.kit.com/v4";

export class KitError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
  /** 429 and 5xx are worth retrying later; other 4xx are not going to change by themselves. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500 || this.status === 0;
  }
}

export interface KitSubscriber {
  email_address: string;
  first_name?: string | null;
  state?: "active" | "inactive";
  fields?: Record<string, string | null>;
}

export class KitClient {
  constructor(
    private readonly apiKey: string,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly timeoutMs = 15_000,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await this.fetchFn(`${KIT_API}${path}`, {
        method,
        headers: { "X-Kit-Api-Key": this.apiKey, "Content-Type": "application/json", Accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new KitError(0, `Kit unreachable: ${err instanceof Error ? err.message : err}`);
    }
    const text = await res.text();
    let data: Record<string, unknown> = {};
    try {
      data = text ? JSON.parse(text) : {};
    } catch { /* not JSON */ }
    if (!res.ok) {
      const errors = Array.isArray(data.errors) ? data.errors.join("; ") : text.slice(0, 300);
      throw new KitError(res.status, `Kit ${method} ${path}: ${res.status} ${errors}`);
    }
    return data;
  }

  upsertSubscriber(s: KitSubscriber): Promise<Record<string, unknown>> {
    return this.call("POST", "/subscribers", s);
  }

  tagSubscriberByEmail(tagId: string, email: string): Promise<Record<string, unknown>> {
    return this.call("POST", `/tags/${encodeURIComponent(tagId)}/subscribers`, { email_address: email });
  }

  /** Creates the custom fields (by label) that do not exist yet. */
  async ensureCustomFields(labels: string[]): Promise<void> {
    const existing = new Set<string>();
    let after: string | null = null;
    do {
      const page = await this.call(
        "GET",
        `/custom_fields?per_page=1000${after ? `&after=${encodeURIComponent(after)}` : ""}`,
      );
      for (const f of (page.custom_fields as { key?: string; label?: string }[] | undefined) ?? []) {
        if (f.key) existing.add(f.key);
        if (f.label) existing.add(f.label);
      }
      const p = page.pagination as { has_next_page?: boolean; end_cursor?: string } | undefined;
      after = p?.has_next_page && p.end_cursor ? p.end_cursor : null;
    } while (after);
    for (const label of labels) {
      if (!existing.has(label)) await this.call("POST", "/custom_fields", { label });
    }
  }
}
