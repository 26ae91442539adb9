// POST /create-checkout-session (member JWT) → {"url", "id"}: a Stripe Checkout session in
// subscription mode for the configured price. The member travels as client_reference_id and in
// the session's and the subscription's metadata (so every later subscription and invoice event
// names the member, whatever order Stripe delivers them in). A member who already has a Stripe
// customer reuses it; otherwise Checkout creates one, and the webhook links it.
import type Stripe from "stripe";
import type { Authenticate } from "../_shared/auth.ts";
import type { Db } from "../_shared/db.ts";
import { HttpError, json, route } from "../_shared/http.ts";
import { logger } from "../_shared/log.ts";
import { admitMember } from "../_shared/member.ts";

export interface CheckoutDeps {
  stripe: Stripe;
  db: Db;
  authenticate: Authenticate;
  priceId: string;
  successUrl: string;
  cancelUrl: string;
}

export function makeCheckoutHandler(deps: CheckoutDeps): (req: Request) => Promise<Response> {
  return route(async (req) => {
    const member = await admitMember(deps, req);
    const profile = await deps.db.billingProfile(member.id);
    if (!profile) throw new HttpError(404, "no_profile", "Your account is not set up yet. Try again in a moment.");
    if (profile.subscriptionStatus === "active" || profile.subscriptionStatus === "past_due") {
      // a second Checkout would start a second subscription: fix or change it in the portal
      throw new HttpError(
        409,
        "already_subscribed",
        "You already have a membership. Use Manage billing to update your payment or plan.",
      );
    }
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: "subscription",
      line_items: [{ price: deps.priceId, quantity: 1 }],
      client_reference_id: member.id,
      metadata: { user_id: member.id },
      subscription_data: { metadata: { user_id: member.id } },
      success_url: deps.successUrl,
      cancel_url: deps.cancelUrl,
      allow_promotion_codes: true,
    };
    if (profile.stripeCustomerId) params.customer = profile.stripeCustomerId;
    else if (profile.email ?? member.email) params.customer_email = (profile.email ?? member.email)!;
    let session: Stripe.Checkout.Session;
    try {
      session = await deps.stripe.checkout.sessions.create(params);
    } catch (err) {
      logger()("create-checkout-session: Stripe error", err);
      throw new HttpError(502, "stripe_unavailable", "Payments are unavailable right now. Please try again.");
    }
    return json({ id: session.id, url: session.url });
  });
}
