// POST /customer-portal (member JWT) → {"url"}: a Stripe billing portal session for the
// member's Stripe customer (cancel, change card, invoices). 409 when the member never paid.
import type Stripe from "stripe";
import type { Authenticate } from "../_shared/auth.ts";
import type { Db } from "../_shared/db.ts";
import { HttpError, json, route } from "../_shared/http.ts";
import { logger } from "../_shared/log.ts";
import { admitMember } from "../_shared/member.ts";

export interface PortalDeps {
  stripe: Stripe;
  db: Db;
  authenticate: Authenticate;
  returnUrl: string;
}

export function makePortalHandler(deps: PortalDeps): (req: Request) => Promise<Response> {
  return route(async (req) => {
    const member = await admitMember(deps, req);
    const profile = await deps.db.billingProfile(member.id);
    if (!profile?.stripeCustomerId) {
      throw new HttpError(409, "no_customer", "There is no billing account yet: subscribe first.");
    }
    let session: Stripe.BillingPortal.Session;
    try {
      session = await deps.stripe.billingPortal.sessions.create({
        customer: profile.stripeCustomerId,
        return_url: deps.returnUrl,
      });
    } catch (err) {
      logger()("customer-portal: Stripe error", err);
      throw new HttpError(502, "stripe_unavailable", "Billing is unavailable right now. Please try again.");
    }
    return json({ url: session.url });
  });
}
