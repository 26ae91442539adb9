// Who is calling: the member's Supabase access token (Authorization: Bearer <jwt>) checked by
// Supabase Auth (GET /auth/v1/user), never trusted from the body.
import { createClient } from "@supabase/supabase-js";
import { HttpError } from "./http.ts";

export interface Member {
  id: string;
  email: string | null;
}

/** Resolves the calling member or throws 401. */
export type Authenticate = (req: Request) => Promise<Member>;

export function bearerToken(req: Request): string | null {
  const header = req.headers.get("Authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : null;
}

export function supabaseAuthenticator(
  supabaseUrl: string,
  anonKey: string,
  fetchFn: typeof fetch = fetch,
): Authenticate {
  const client = createClient(supabaseUrl, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: fetchFn },
  });
  return async (req) => {
    const token = bearerToken(req);
    if (!token) throw new HttpError(401, "unauthorized", "Sign in first.");
    const { data, error } = await client.auth.getUser(token);
    if (error || !data?.user) throw new HttpError(401, "unauthorized", "Your session has expired. Sign in again.");
    return { id: data.user.id, email: data.user.email ?? null };
  };
}
