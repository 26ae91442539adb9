// The one way in for the member-facing functions: the member's token checked by Supabase Auth,
// then one token of their per-member 'functions' bucket (public.take_rate_token: 100 a minute,
// refilled continuously; docs/edge-functions.md). A refused token is 429 with Retry-After before
// the function does any work (no OpenAI, Stripe or Storage call, no quota used).
import type { Authenticate, Member } from "./auth.ts";
import type { Db } from "./db.ts";
import { HttpError } from "./http.ts";

export interface MemberGate {
  authenticate: Authenticate;
  db: Pick<Db, "takeRateToken">;
}

/** The 429 for a wait of `seconds` (rounded up to whole seconds, at least 1; to the millisecond
 * first, so that a float's 1.0000000000000009 is 1). */
export function rateLimited(seconds: number): HttpError {
  const n = Math.max(1, Math.ceil(Math.round(seconds * 1000) / 1000));
  return new HttpError(429, "rate_limited", `Too many requests: try again in ${n} s.`, { "Retry-After": String(n) });
}

/** The calling member, once authenticated and within their request rate; throws 401 or 429. */
export async function admitMember(deps: MemberGate, req: Request): Promise<Member> {
  const member = await deps.authenticate(req);
  const wait = await deps.db.takeRateToken(member.id, "functions");
  if (wait > 0) throw rateLimited(wait);
  return member;
}
