// POST /delete-account (member JWT) with {"confirm": "DELETE"} → {"deleted": true}: the calling
// member's account goes completely, in this order, each step stopping the rest when it fails
// (a retry then starts over and skips what is already gone):
//   1. their files in the `recordings`, `vision-boards` and `exports` buckets, through the Storage
//      API as the service role (that deletes the bytes; a storage failure → 502, nothing else done);
//   2. their Stripe subscription, if they have one that is not already cancelled, cancelled now
//      (DELETE /v1/subscriptions/{id}) so a deleted member is never billed again (→ 502 on failure);
//   3. public.delete_member: leftover storage rows, then the auth user, whose deletion cascades
//      to the profile and every table of theirs (the auth user goes too: no GoTrue call needed).
import type Stripe from "stripe";
import type { Authenticate } from "../_shared/auth.ts";
import type { Db } from "../_shared/db.ts";
import { HttpError, json, readJsonObject, route } from "../_shared/http.ts";
import { logger, type LogSink } from "../_shared/log.ts";
import { MEMBER_BUCKETS, type StorageAdmin } from "../_shared/storage.ts";

export const CONFIRMATION = "DELETE";

export interface DeleteAccountDeps {
  stripe: Stripe;
  db: Db;
  storage: StorageAdmin;
  authenticate: Authenticate;
  log?: LogSink;
}

export function makeDeleteAccountHandler(deps: DeleteAccountDeps): (req: Request) => Promise<Response> {
  const log = logger(deps.log);
  return route(async (req) => {
    const member = await deps.authenticate(req);
    const body = await readJsonObject(req);
    if (body.confirm !== CONFIRMATION) {
      throw new HttpError(
        400,
        "invalid_request",
        `To delete your account and all your data for good, confirm with "${CONFIRMATION}".`,
      );
    }
    const profile = await deps.db.billingProfile(member.id);

    // 1. files (bytes and rows) through the Storage API
    for (const bucket of MEMBER_BUCKETS) {
      try {
        await deps.storage.removeFolder(bucket, `${member.id}/`);
      } catch (err) {
        log(`delete-account: storage error (${bucket})`, err);
        throw new HttpError(
          502,
          "storage_unavailable",
          "We could not delete your files right now, so nothing was deleted. Please try again.",
        );
      }
    }

    // 2. no more billing
    const subscriptionId = profile?.stripeSubscriptionId ?? null;
    if (subscriptionId && profile?.subscriptionStatus !== "cancelled") {
      try {
        await deps.stripe.subscriptions.cancel(subscriptionId);
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        const code = (err as { code?: string }).code;
        if (!(status === 404 && code === "resource_missing")) { // already gone at Stripe: fine
          log("delete-account: Stripe error cancelling the subscription", err);
          throw new HttpError(
            502,
            "stripe_unavailable",
            "We could not cancel your membership right now, so your account was not deleted. Please try again.",
          );
        }
      }
    }

    // 3. rows and the auth user
    await deps.db.deleteMember(member.id);
    return json({ deleted: true });
  });
}
