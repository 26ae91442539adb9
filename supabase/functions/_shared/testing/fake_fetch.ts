// A fake of the network at the fetch boundary: routes (method + URL pattern) answer with the
// documented response shapes; every request is recorded so tests can assert what was sent.

export interface Recorded {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  /** The body's bytes (binary uploads do not survive as text). */
  bodyBytes?: Uint8Array;
}

export type Responder = (req: Recorded) => Response | Promise<Response>;

export class FakeFetch {
  requests: Recorded[] = [];
  private routes: { method: string; pattern: RegExp; respond: Responder }[] = [];

  on(method: string, pattern: RegExp, respond: Responder): this {
    this.routes.unshift({ method, pattern, respond }); // later routes win
    return this;
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const bytes = req.body ? new Uint8Array(await req.arrayBuffer()) : undefined;
    const rec: Recorded = {
      method: req.method,
      url: new URL(req.url),
      headers: req.headers,
      body: bytes ? new TextDecoder().decode(bytes) : "",
      bodyBytes: bytes,
    };
    this.requests.push(rec);
    const route = this.routes.find((r) => r.method === rec.method && r.pattern.test(rec.url.href));
    if (!route) return jsonResponse({ error: `no fake for ${rec.method} ${rec.url.href}` }, 599);
    if (init?.signal?.aborted) throw init.signal.reason;
    return await route.respond(rec);
  };

  to(pattern: RegExp): Recorded[] {
    return this.requests.filter((r) => pattern.test(r.url.href));
  }
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** A form-encoded body (Stripe's request format) as a flat map of its keys. */
export function form(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

// ---- Supabase Auth: GET /auth/v1/user with the member's access token ----
export const SUPABASE_URL = "https://project.supabase.co";
export const ANON_KEY = "anon-key";

export function fakeSupabaseAuth(fake: FakeFetch, users: Record<string, { id: string; email: string }>): FakeFetch {
  return fake.on("GET", /\/auth\/v1\/user$/, (req) => {
    const token = (req.headers.get("Authorization") ?? "").replace(/^Bearer /, "");
    const user = users[token];
    if (!user) {
      return jsonResponse(
        { code: 403, error_code: "bad_jwt", msg: "invalid JWT: unable to parse or verify signature" },
        403,
      );
    }
    return jsonResponse({
      id: user.id,
      aud: "authenticated",
      role: "authenticated",
      email: user.email,
      app_metadata: { provider: "email" },
      user_metadata: {},
      created_at: "2026-11-01T00:00:00Z",
    });
  });
}
