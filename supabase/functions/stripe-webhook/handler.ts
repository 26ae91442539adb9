// Stripe webhook: the only writer of the subscription fields (docs/rules.md#subscription, plan defect 6).
// 1. The signature is verified on the raw body (constructEventAsync, Web Crypto): a forged or
//    replayed-after-5-minutes request gets 400 and writes nothing.
// 2. Each handled event becomes one call of public.apply_stripe_subscription, which records the
//    event id (a redelivery is 'duplicate', no second effect) and ignores events older than the
//    last applied one ('stale'), so out-of-order delivery ends in the right state.
// 3. The member is found by client_reference_id / metadata.user_id (set by
//    create-checkout-session on the session and on the subscription) or by Stripe customer id.
// 4. The subscription item's price (amount, currency, interval) is recorded with
//    public.record_stripe_price on customer.subscription.created/updated (and on a completed
//    checkout whose subscription came expanded): operator_metrics turns it into MRR.
import type Stripe from "stripe";
import type { Db, StripePrice, StripeUpdate, SubscriptionStatus } from "../_shared/db.ts";
import { json } from "../_shared/http.ts";
import { logger, type LogSink } from "../_shared/log.ts";
import { reportError } from "../_shared/report.ts";

export interface StripeWebhookDeps {
  stripe: Stripe;
  webhookSecret: string;
  db: Db;
  cryptoProvider: Stripe.CryptoProvider;
  /** seconds a signature stays valid (Stripe's default: 300) */
  toleranceSeconds?: number;
  log?: LogSink;
}

export const HANDLED_EVENTS = [
  "checkout.session.completed",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "invoice.paid",
  "invoice.payment_failed",
] as const;

type MemberStatus = Exclude<SubscriptionStatus, "trial">;

/** Stripe's subscription status → the member-facing one (null: no change). */
export function memberStatus(stripeStatus: string): MemberStatus | null {
  switch (stripeStatus) {
    case "active":
    case "trialing":
      return "active";
    case "past_due":
    case "unpaid":
    case "paused":
      return "past_due";
    case "canceled":
    case "incomplete_expired":
      return "cancelled";
    default: // "incomplete": the first payment is still being made
      return null;
  }
}

const idOf = (v: unknown): string | null =>
  typeof v === "string"
    ? v
    : (v && typeof v === "object" && typeof (v as { id?: unknown }).id === "string")
    ? (v as { id: string }).id
    : null;

const dateOf = (seconds: unknown): Date | null => typeof seconds === "number" ? new Date(seconds * 1000) : null;

const uuidOrNull = (v: unknown): string | null =>
  typeof v === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v : null;

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

/** The database update an event asks for, or null when the event is not about a subscription. */
export function updateFor(event: Stripe.Event): StripeUpdate | null {
  const base = {
    eventId: event.id,
    eventType: event.type,
    eventCreated: new Date(event.created * 1000),
    userId: null,
    customerId: null,
    subscriptionId: null,
    status: null,
    priceId: null,
    currentPeriodEnd: null,
  } satisfies StripeUpdate;
  const obj = event.data.object as unknown as Obj;

  switch (event.type) {
    case "checkout.session.completed": {
      if (obj.mode !== "subscription") return null;
      const paid = obj.payment_status === "paid" || obj.payment_status === "no_payment_required";
      return {
        ...base,
        userId: uuidOrNull(obj.client_reference_id) ?? uuidOrNull(obj.metadata?.user_id),
        customerId: idOf(obj.customer),
        subscriptionId: idOf(obj.subscription),
        status: paid ? "active" : null,
      };
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted": {
      const item = obj.items?.data?.[0];
      return {
        ...base,
        userId: uuidOrNull(obj.metadata?.user_id),
        customerId: idOf(obj.customer),
        subscriptionId: obj.id ?? null,
        status: event.type === "customer.subscription.deleted" ? "cancelled" : memberStatus(String(obj.status)),
        priceId: idOf(item?.price),
        // current_period_end moved from the subscription to its items in API 2025-03-31
        currentPeriodEnd: dateOf(item?.current_period_end ?? obj.current_period_end),
      };
    }
    case "invoice.paid":
    case "invoice.payment_failed": {
      // the subscription moved to parent.subscription_details in API 2025-03-31
      const details = obj.parent?.subscription_details;
      const subscriptionId = idOf(details?.subscription) ?? idOf(obj.subscription);
      if (!subscriptionId) return null; // a one-off invoice, not the membership
      const line = obj.lines?.data?.find((l: Obj) => l?.period?.end) ?? null;
      return {
        ...base,
        userId: uuidOrNull(details?.metadata?.user_id ?? obj.subscription_details?.metadata?.user_id),
        customerId: idOf(obj.customer),
        subscriptionId,
        status: event.type === "invoice.paid" ? "active" : "past_due",
        currentPeriodEnd: event.type === "invoice.paid" ? dateOf(line?.period?.end) : null,
      };
    }
    default:
      return null;
  }
}

const INTERVALS = ["day", "week", "month", "year"] as const;

/** A Stripe price object as public.record_stripe_price takes it; null when it cannot be one
 * (not expanded, no unit amount: tiered or custom-amount prices have none). */
export function stripePrice(price: unknown): StripePrice | null {
  if (!price || typeof price !== "object") return null;
  const p = price as Obj;
  if (typeof p.id !== "string" || !Number.isInteger(p.unit_amount) || p.unit_amount < 0) return null;
  if (typeof p.currency !== "string" || !/^[a-z]{3}$/i.test(p.currency)) return null;
  const interval = INTERVALS.includes(p.recurring?.interval) ? p.recurring.interval as StripePrice["interval"] : null;
  const count = Number.isInteger(p.recurring?.interval_count) && p.recurring.interval_count > 0
    ? p.recurring.interval_count
    : 1;
  return {
    priceId: p.id,
    unitAmount: p.unit_amount,
    currency: p.currency.toLowerCase(),
    interval,
    intervalCount: count,
  };
}

/** The prices an event carries (subscription items; a checkout's expanded subscription). */
export function pricesFor(event: Stripe.Event): StripePrice[] {
  const obj = event.data.object as unknown as Obj;
  let subscription: Obj | null = null;
  if (event.type === "customer.subscription.created" || event.type === "customer.subscription.updated") {
    subscription = obj;
  } else if (event.type === "checkout.session.completed" && obj.subscription && typeof obj.subscription === "object") {
    subscription = obj.subscription;
  }
  const items: Obj[] = Array.isArray(subscription?.items?.data) ? subscription.items.data : [];
  const seen = new Map<string, StripePrice>();
  for (const item of items) {
    const price = stripePrice(item?.price);
    if (price) seen.set(price.priceId, price);
  }
  return [...seen.values()];
}

export function makeStripeWebhookHandler(deps: StripeWebhookDeps): (req: Request) => Promise<Response> {
  const log = logger(deps.log);
  return async (req) => {
    if (req.method !== "POST") return json({ error: { code: "method_not_allowed", message: "Use POST." } }, 405);
    const signature = req.headers.get("Stripe-Signature");
    if (!signature) return json({ error: { code: "bad_signature", message: "Missing Stripe-Signature." } }, 400);
    const body = await req.text(); // the raw body: the signature is over these exact bytes
    let event: Stripe.Event;
    try {
      event = await deps.stripe.webhooks.constructEventAsync(
        body,
        signature,
        deps.webhookSecret,
        deps.toleranceSeconds ?? 300,
        deps.cryptoProvider,
      );
    } catch (err) {
      log("stripe-webhook: rejected", err);
      return json({ error: { code: "bad_signature", message: "Invalid signature." } }, 400);
    }

    const update = updateFor(event);
    if (!update) return json({ received: true, ignored: true, type: event.type });
    // A database error propagates as 500: Stripe retries, and the event id was not recorded
    // (apply_stripe_subscription runs as one transaction).
    // The price first: recording it again on a redelivery is harmless (a price's amount and
    // interval never change at Stripe), and a failure leaves the event unrecorded for the retry.
    try {
      for (const price of pricesFor(event)) await deps.db.recordStripePrice(price);
      const outcome = await deps.db.applyStripeSubscription(update);
      log(`stripe-webhook: ${event.id} ${event.type} -> ${outcome}`);
      return json({ received: true, outcome });
    } catch (err) {
      log(`stripe-webhook: ${event.id} ${event.type} failed`, err);
      await reportError(err, { functionName: "stripe-webhook" });
      return json({ error: { code: "internal", message: "Could not record the event; Stripe will retry." } }, 500);
    }
  };
}
