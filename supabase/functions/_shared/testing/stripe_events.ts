// Stripe webhook payloads in the shape of the API version the pinned library uses
// (subscription period on the items, invoice subscription under parent.subscription_details),
// signed for real with Stripe's library.
import Stripe from "stripe";

export const WEBHOOK_SECRET = "whsec_test_chris_disciplined";
export const stripe = new Stripe("sk_test_chris", { httpClient: Stripe.createFetchHttpClient() });
export const cryptoProvider = Stripe.createSubtleCryptoProvider();

let counter = 0;
// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

export function event(type: string, object: Obj, created: number, id?: string): Obj {
  return {
    id: id ?? `evt_test_${++counter}_${crypto.randomUUID().slice(0, 8)}`,
    object: "event",
    api_version: Stripe.API_VERSION,
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

export function checkoutCompleted(
  o: { userId: string; customer: string; subscription: string; paymentStatus?: string },
  created: number,
): Obj {
  return event("checkout.session.completed", {
    id: `cs_test_${counter}`,
    object: "checkout.session",
    mode: "subscription",
    status: "complete",
    payment_status: o.paymentStatus ?? "paid",
    client_reference_id: o.userId,
    metadata: { user_id: o.userId },
    customer: o.customer,
    subscription: o.subscription,
    amount_total: 2900,
    currency: "usd",
  }, created);
}

export function subscriptionEvent(
  type: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted",
  o: {
    id: string;
    customer: string;
    status: string;
    userId?: string;
    price?: string;
    periodEnd?: number;
    amount?: number | null;
    currency?: string;
    interval?: string;
    intervalCount?: number;
  },
  created: number,
): Obj {
  return event(type, {
    id: o.id,
    object: "subscription",
    customer: o.customer,
    status: o.status,
    metadata: o.userId ? { user_id: o.userId } : {},
    cancel_at_period_end: false,
    items: {
      object: "list",
      data: [{
        id: `si_${o.id}`,
        object: "subscription_item",
        price: {
          id: o.price ?? "price_monthly",
          object: "price",
          active: true,
          billing_scheme: "per_unit",
          currency: o.currency ?? "usd",
          product: "prod_membership",
          recurring: {
            interval: o.interval ?? "month",
            interval_count: o.intervalCount ?? 1,
            usage_type: "licensed",
          },
          type: "recurring",
          unit_amount: o.amount === undefined ? 2900 : o.amount,
          unit_amount_decimal: o.amount === undefined ? "2900" : o.amount === null ? null : String(o.amount),
        },
        quantity: 1,
        current_period_start: (o.periodEnd ?? created + 2592000) - 2592000,
        current_period_end: o.periodEnd ?? created + 2592000,
      }],
    },
  }, created);
}

export function invoiceEvent(
  type: "invoice.paid" | "invoice.payment_failed",
  o: { customer: string; subscription: string; userId?: string; periodEnd?: number },
  created: number,
): Obj {
  return event(type, {
    id: `in_test_${counter}`,
    object: "invoice",
    customer: o.customer,
    status: type === "invoice.paid" ? "paid" : "open",
    billing_reason: "subscription_cycle",
    parent: {
      type: "subscription_details",
      subscription_details: { subscription: o.subscription, metadata: o.userId ? { user_id: o.userId } : {} },
    },
    lines: {
      object: "list",
      data: [{
        id: "il_1",
        object: "line_item",
        period: { start: (o.periodEnd ?? created) - 2592000, end: o.periodEnd ?? created },
      }],
    },
  }, created);
}

/** A webhook request signed with Stripe's library (timestamp in seconds; default now). */
export async function signedRequest(
  payload: Obj | string,
  opts: { secret?: string; timestamp?: number; tamper?: boolean } = {},
): Promise<Request> {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload, null, 2);
  const header = await stripe.webhooks.generateTestHeaderStringAsync({
    payload: body,
    secret: opts.secret ?? WEBHOOK_SECRET,
    timestamp: opts.timestamp,
    cryptoProvider,
  });
  return new Request("http://localhost/stripe-webhook", {
    method: "POST",
    headers: { "Stripe-Signature": header, "Content-Type": "application/json" },
    body: opts.tamper ? body.replace('"livemode": false', '"livemode": true') : body,
  });
}
