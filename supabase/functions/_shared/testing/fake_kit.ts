// Kit API v4 at the fetch boundary, with the documented request and response shapes.
import { FakeFetch, jsonResponse, Recorded } from "./fake_fetch.ts";

export const KIT_KEY = "kit_test_key";

export class FakeKit {
  subscribers = new Map<
    string,
    { id: number; first_name: string | null; email_address: string; state: string; fields: Record<string, unknown> }
  >();
  tags = new Map<string, string[]>(); // tag id -> emails, in tagging order
  customFields: { id: number; name: string; key: string; label: string }[] = [];
  failWith: ((req: Recorded) => Response | null) | null = null;

  constructor(readonly net: FakeFetch = new FakeFetch()) {
    const guard = (handler: (req: Recorded) => Response) => (req: Recorded) => {
      if (req.headers.get("X-Kit-Api-Key") !== KIT_KEY) {
        return jsonResponse({ errors: ["API Key not valid"] }, 401);
      }
      return this.failWith?.(req) ?? handler(req);
    };
    net.on(
      "POST",
      /^https:\/\/api\.kit\.com\/v4\/subscribers$/,
      guard((req) => {
        const b = JSON.parse(req.body);
        if (typeof b.email_address !== "string") return jsonResponse({ errors: ["Email address is invalid"] }, 422);
        const existing = this.subscribers.get(b.email_address);
        const fields = { ...(existing?.fields ?? {}) };
        for (const [k, v] of Object.entries(b.fields ?? {})) {
          if (!this.customFields.some((f) => f.key === k)) {
            return jsonResponse({ errors: [`Custom field ${k} does not exist`] }, 422);
          }
          fields[k] = v;
        }
        const sub = {
          id: existing?.id ?? this.subscribers.size + 100,
          first_name: b.first_name ?? existing?.first_name ?? null,
          email_address: b.email_address,
          state: b.state ?? "active",
          fields,
        };
        this.subscribers.set(b.email_address, sub);
        return jsonResponse({ subscriber: { ...sub, created_at: "2026-11-26T10:00:00Z" } }, existing ? 200 : 201);
      }),
    );
    net.on(
      "POST",
      /^https:\/\/api\.kit\.com\/v4\/tags\/[^/]+\/subscribers$/,
      guard((req) => {
        const tagId = req.url.pathname.split("/")[3];
        const { email_address } = JSON.parse(req.body);
        const sub = this.subscribers.get(email_address);
        if (!sub) return jsonResponse({ errors: ["Subscriber not found"] }, 404);
        const list = this.tags.get(tagId) ?? [];
        list.push(email_address);
        this.tags.set(tagId, list);
        return jsonResponse({
          subscriber: { ...sub, created_at: "2026-11-26T10:00:00Z", tagged_at: "2026-11-26T10:00:01Z" },
        }, 201);
      }),
    );
    net.on(
      "GET",
      /^https:\/\/api\.kit\.com\/v4\/custom_fields/,
      guard(() =>
        jsonResponse({
          custom_fields: this.customFields,
          pagination: {
            has_previous_page: false,
            has_next_page: false,
            start_cursor: null,
            end_cursor: null,
            per_page: 1000,
          },
        })
      ),
    );
    net.on(
      "POST",
      /^https:\/\/api\.kit\.com\/v4\/custom_fields$/,
      guard((req) => {
        const { label } = JSON.parse(req.body);
        const f = {
          id: this.customFields.length + 1,
          name: `ck_field_${this.customFields.length + 1}_${label}`,
          key: label,
          label,
        };
        this.customFields.push(f);
        return jsonResponse({ custom_field: f }, 201);
      }),
    );
  }

  get fetch(): typeof fetch {
    return this.net.fetch;
  }
}
