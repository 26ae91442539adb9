import { assertEquals } from "../_shared/testing/assert.ts";
import { makeStripeWebhookHandler } from "./handler.ts";
import { MemoryDb } from "../_shared/testing/memory_db.ts";
import { FakeFetch, jsonResponse } from "../_shared/testing/fake_fetch.ts";
import { configureReports } from "../_shared/report.ts";
import {
  checkoutCompleted,
  cryptoProvider,
  event,
  invoiceEvent,
  signedRequest,
  stripe,
  subscriptionEvent,
  WEBHOOK_SECRET,
} from "../_shared/testing/stripe_events.ts";

const MEMBER = "2b1c2f2e-7d2a-4a53-9c1e-0e1f5b0c9a11";
const T0 = Math.floor(Date.now() / 1000) - 3600;

function setup() {
  const db = new MemoryDb();
  const member = db.addMember(MEMBER, "chris@example.com");
  const logs: string[] = [];
  const handler = makeStripeWebhookHandler({
    stripe,
    webhookSecret: WEBHOOK_SECRET,
    db,
    cryptoProvider,
    log: (m) => logs.push(m),
  });
  return { db, member, handler, logs };
}

async function deliver(handler: (r: Request) => Promise<Response>, payload: Record<string, unknown>) {
  const res = await handler(await signedRequest(payload));
  return { status: res.status, body: await res.json() };
}

Deno.test("a bad signature is rejected with 400 and writes nothing", async () => {
  const { db, member, handler } = setup();
  const payload = checkoutCompleted({ userId: MEMBER, customer: "cus_1", subscription: "sub_1" }, T0);
  for (
    const req of [
      await signedRequest(payload, { secret: "whsec_someone_else" }),
      await signedRequest(payload, { tamper: true }),
      new Request("http://localhost/", { method: "POST", body: JSON.stringify(payload) }),
      new Request("http://localhost/", { method: "POST", headers: { "Stripe-Signature": "t=1,v1=abc" }, body: "{}" }),
    ]
  ) {
    const res = await handler(req);
    assertEquals(res.status, 400);
    assertEquals((await res.json()).error.code, "bad_signature");
  }
  assertEquals(db.writes, 0);
  assertEquals(db.processed.size, 0);
  assertEquals(member.subscriptionStatus, "trial");
});

Deno.test("a stale timestamp (older than the 5-minute tolerance) is rejected with 400 and writes nothing", async () => {
  const { db, member, handler } = setup();
  const payload = checkoutCompleted({ userId: MEMBER, customer: "cus_1", subscription: "sub_1" }, T0);
  const res = await handler(await signedRequest(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }));
  assertEquals(res.status, 400);
  assertEquals(db.writes, 0);
  assertEquals(member.subscriptionStatus, "trial");
  // the same payload signed now is accepted
  assertEquals((await handler(await signedRequest(payload))).status, 200);
  assertEquals(member.subscriptionStatus, "active");
});

Deno.test("checkout.session.completed links the customer to the member and activates", async () => {
  const { member, handler } = setup();
  const r = await deliver(handler, checkoutCompleted({ userId: MEMBER, customer: "cus_1", subscription: "sub_1" }, T0));
  assertEquals(r, { status: 200, body: { received: true, outcome: "applied" } });
  assertEquals(member.stripeCustomerId, "cus_1");
  assertEquals(member.stripeSubscriptionId, "sub_1");
  assertEquals(member.subscriptionStatus, "active");
});

Deno.test("checkout.session.completed with an unpaid (async) payment links but does not activate", async () => {
  const { member, handler } = setup();
  await deliver(
    handler,
    checkoutCompleted({ userId: MEMBER, customer: "cus_1", subscription: "sub_1", paymentStatus: "unpaid" }, T0),
  );
  assertEquals(member.stripeCustomerId, "cus_1");
  assertEquals(member.subscriptionStatus, "trial");
});

Deno.test("a replayed event has no second effect", async () => {
  const { db, member, handler } = setup();
  const paid = checkoutCompleted({ userId: MEMBER, customer: "cus_1", subscription: "sub_1" }, T0);
  assertEquals((await deliver(handler, paid)).body.outcome, "applied");
  // the member cancels; then Stripe redelivers the old checkout event (same id)
  await deliver(
    handler,
    subscriptionEvent("customer.subscription.deleted", { id: "sub_1", customer: "cus_1", status: "canceled" }, T0 + 10),
  );
  assertEquals(member.subscriptionStatus, "cancelled");
  const writes = db.writes;
  const replay = await deliver(handler, paid);
  assertEquals(replay, { status: 200, body: { received: true, outcome: "duplicate" } });
  assertEquals(db.writes, writes);
  assertEquals(member.subscriptionStatus, "cancelled");
});

Deno.test("customer.subscription.created/updated/deleted set the matching state, price and period", async () => {
  const { member, handler } = setup();
  await deliver(handler, checkoutCompleted({ userId: MEMBER, customer: "cus_1", subscription: "sub_1" }, T0));
  const end = T0 + 30 * 86400;
  await deliver(
    handler,
    subscriptionEvent("customer.subscription.created", {
      id: "sub_1",
      customer: "cus_1",
      status: "active",
      price: "price_founder",
      periodEnd: end,
    }, T0 + 1),
  );
  assertEquals(member.subscriptionStatus, "active");
  assertEquals(member.stripePriceId, "price_founder");
  assertEquals(member.subscriptionCurrentPeriodEnd?.getTime(), end * 1000);

  const cases: [string, string][] = [
    ["past_due", "past_due"],
    ["unpaid", "past_due"],
    ["active", "active"],
    ["trialing", "active"],
    ["canceled", "cancelled"],
  ];
  let t = T0 + 2;
  for (const [stripeStatus, expected] of cases) {
    await deliver(
      handler,
      subscriptionEvent("customer.subscription.updated", { id: "sub_1", customer: "cus_1", status: stripeStatus }, t++),
    );
    assertEquals(member.subscriptionStatus, expected, stripeStatus);
  }
  await deliver(
    handler,
    subscriptionEvent("customer.subscription.updated", { id: "sub_1", customer: "cus_1", status: "active" }, t++),
  );
  await deliver(
    handler,
    subscriptionEvent("customer.subscription.deleted", { id: "sub_1", customer: "cus_1", status: "canceled" }, t++),
  );
  assertEquals(member.subscriptionStatus, "cancelled");
});

Deno.test("an incomplete subscription (first payment pending) changes no status", async () => {
  const { member, handler } = setup();
  const r = await deliver(
    handler,
    subscriptionEvent("customer.subscription.created", {
      id: "sub_1",
      customer: "cus_1",
      status: "incomplete",
      userId: MEMBER,
    }, T0),
  );
  assertEquals(r.body.outcome, "applied");
  assertEquals(member.stripeCustomerId, "cus_1");
  assertEquals(member.subscriptionStatus, "trial");
});

Deno.test("invoice.payment_failed makes the member past_due; invoice.paid makes them active again", async () => {
  const { member, handler } = setup();
  await deliver(handler, checkoutCompleted({ userId: MEMBER, customer: "cus_1", subscription: "sub_1" }, T0));
  await deliver(
    handler,
    invoiceEvent("invoice.payment_failed", { customer: "cus_1", subscription: "sub_1" }, T0 + 100),
  );
  assertEquals(member.subscriptionStatus, "past_due");
  const end = T0 + 40 * 86400;
  await deliver(
    handler,
    invoiceEvent("invoice.paid", { customer: "cus_1", subscription: "sub_1", periodEnd: end }, T0 + 200),
  );
  assertEquals(member.subscriptionStatus, "active");
  assertEquals(member.subscriptionCurrentPeriodEnd?.getTime(), end * 1000);
});

Deno.test("invoices of older API versions (invoice.subscription) are understood too", async () => {
  const { member, handler } = setup();
  await deliver(handler, checkoutCompleted({ userId: MEMBER, customer: "cus_1", subscription: "sub_1" }, T0));
  const ev = event("invoice.payment_failed", {
    id: "in_old",
    object: "invoice",
    customer: "cus_1",
    subscription: "sub_1",
  }, T0 + 5);
  assertEquals((await deliver(handler, ev)).body.outcome, "applied");
  assertEquals(member.subscriptionStatus, "past_due");
});

Deno.test("out-of-order delivery ends in the state of the newest event", async () => {
  const { member, handler } = setup();
  // create-checkout-session puts user_id in the subscription's metadata, so every subscription
  // and invoice event names the member: no event depends on the link having landed first
  const s = { customer: "cus_1", userId: MEMBER };
  const events = [
    checkoutCompleted({ ...s, subscription: "sub_1" }, T0),
    subscriptionEvent("customer.subscription.created", { ...s, id: "sub_1", status: "active" }, T0 + 1),
    invoiceEvent("invoice.paid", { ...s, subscription: "sub_1" }, T0 + 2),
    invoiceEvent("invoice.payment_failed", { ...s, subscription: "sub_1" }, T0 + 100),
    subscriptionEvent("customer.subscription.updated", { ...s, id: "sub_1", status: "past_due" }, T0 + 101),
    subscriptionEvent("customer.subscription.deleted", { ...s, id: "sub_1", status: "canceled" }, T0 + 200),
  ];
  // newest first, then the rest shuffled: the link (checkout) arrives last
  const order = [events[5], events[3], events[1], events[4], events[2], events[0]];
  const outcomes = [];
  for (const e of order) outcomes.push((await deliver(handler, e)).body.outcome);
  assertEquals(member.subscriptionStatus, "cancelled");
  assertEquals(member.stripeCustomerId, "cus_1");
  assertEquals(outcomes, ["applied", "stale", "stale", "stale", "stale", "stale"]);
  // and in order it ends the same
  const fresh = setup();
  for (const e of events) await deliver(fresh.handler, { ...e, id: e.id + "_b" });
  assertEquals(fresh.member.subscriptionStatus, "cancelled");
});

Deno.test("the subscription's user_id metadata links the member even before checkout.session.completed", async () => {
  const { member, handler } = setup();
  const first = await deliver(
    handler,
    subscriptionEvent("customer.subscription.created", {
      id: "sub_1",
      customer: "cus_9",
      status: "active",
      userId: MEMBER,
    }, T0 + 1),
  );
  assertEquals(first.body.outcome, "applied");
  assertEquals(member.subscriptionStatus, "active");
  assertEquals(member.stripeCustomerId, "cus_9");
  // the earlier checkout event arrives late: stale, state unchanged
  const late = await deliver(
    handler,
    checkoutCompleted({ userId: MEMBER, customer: "cus_9", subscription: "sub_1" }, T0),
  );
  assertEquals(late.body.outcome, "stale");
  assertEquals(member.subscriptionStatus, "active");
});

Deno.test("events for a customer nobody is linked to are recorded as unknown_member", async () => {
  const { member, handler } = setup();
  const r = await deliver(
    handler,
    invoiceEvent("invoice.paid", { customer: "cus_stranger", subscription: "sub_x" }, T0),
  );
  assertEquals(r.body.outcome, "unknown_member");
  assertEquals(member.subscriptionStatus, "trial");
});

Deno.test("other event types and one-off payments are acknowledged and ignored", async () => {
  const { db, handler } = setup();
  const r1 = await deliver(handler, event("customer.created", { id: "cus_1", object: "customer" }, T0));
  assertEquals(r1, { status: 200, body: { received: true, ignored: true, type: "customer.created" } });
  const r2 = await deliver(
    handler,
    event("checkout.session.completed", {
      id: "cs_1",
      object: "checkout.session",
      mode: "payment",
      client_reference_id: MEMBER,
    }, T0),
  );
  assertEquals(r2.body.ignored, true);
  const r3 = await deliver(
    handler,
    event("invoice.paid", { id: "in_1", object: "invoice", customer: "cus_1", parent: null }, T0),
  );
  assertEquals(r3.body.ignored, true);
  assertEquals(db.writes, 0);
});

Deno.test("a database failure gives 500 so that Stripe retries, and the retry applies", async () => {
  const { db, member, handler } = setup();
  const payload = checkoutCompleted({ userId: MEMBER, customer: "cus_1", subscription: "sub_1" }, T0);
  db.failNext = new Error("connection reset");
  assertEquals((await deliver(handler, payload)).status, 500);
  assertEquals(member.subscriptionStatus, "trial");
  assertEquals((await deliver(handler, payload)).body.outcome, "applied");
  assertEquals(member.subscriptionStatus, "active");
});

Deno.test("only POST is accepted", async () => {
  const { handler } = setup();
  assertEquals((await handler(new Request("http://localhost/", { method: "GET" }))).status, 405);
});

Deno.test("prices: subscription created/updated record the item's price (amount, currency, interval)", async () => {
  const { db, handler } = setup();
  const s = { id: "sub_p1", customer: "cus_p1", status: "active", userId: MEMBER };
  let r = await deliver(handler, subscriptionEvent("customer.subscription.created", s, T0));
  assertEquals([r.status, r.body.outcome], [200, "applied"]);
  assertEquals([...db.prices.values()], [{
    priceId: "price_monthly",
    unitAmount: 2900,
    currency: "usd",
    interval: "month",
    intervalCount: 1,
  }]);
  // a plan change: the yearly price in euros, every 1 year
  r = await deliver(
    handler,
    subscriptionEvent("customer.subscription.updated", {
      ...s,
      price: "price_yearly_eur",
      amount: 24000,
      currency: "EUR",
      interval: "year",
    }, T0 + 10),
  );
  assertEquals(r.status, 200);
  assertEquals(db.prices.get("price_yearly_eur"), {
    priceId: "price_yearly_eur",
    unitAmount: 24000,
    currency: "eur",
    interval: "year",
    intervalCount: 1,
  });
  // a quarterly price: 3 months
  await deliver(
    handler,
    subscriptionEvent(
      "customer.subscription.updated",
      { ...s, price: "price_q", amount: 7500, intervalCount: 3 },
      T0 + 20,
    ),
  );
  assertEquals(db.prices.get("price_q")?.intervalCount, 3);
  assertEquals(db.prices.size, 3);
});

Deno.test("prices: deletions, invoices and prices without a unit amount record none", async () => {
  const { db, handler } = setup();
  const s = { id: "sub_p2", customer: "cus_p2", status: "active", userId: MEMBER };
  await deliver(handler, subscriptionEvent("customer.subscription.deleted", { ...s, status: "canceled" }, T0));
  await deliver(handler, invoiceEvent("invoice.paid", { customer: "cus_p2", subscription: "sub_p2" }, T0 + 1));
  await deliver(handler, checkoutCompleted({ userId: MEMBER, customer: "cus_p2", subscription: "sub_p2" }, T0 + 2));
  // tiered / custom-amount prices carry unit_amount null: nothing to turn into MRR, the event still applies
  const r = await deliver(
    handler,
    subscriptionEvent("customer.subscription.updated", { ...s, price: "price_tiered", amount: null }, T0 + 3),
  );
  assertEquals(r.body.outcome, "applied");
  assertEquals(db.prices.size, 0);
});

Deno.test("prices: a checkout completion carrying its subscription expanded records its price", async () => {
  const { db, handler } = setup();
  const payload = checkoutCompleted({ userId: MEMBER, customer: "cus_p3", subscription: "sub_p3" }, T0);
  const sub = subscriptionEvent("customer.subscription.created", {
    id: "sub_p3",
    customer: "cus_p3",
    status: "active",
    price: "price_weekly",
    amount: 700,
    interval: "week",
  }, T0).data.object;
  payload.data.object.subscription = sub;
  const r = await deliver(handler, payload);
  assertEquals(r.body.outcome, "applied");
  assertEquals(db.prices.get("price_weekly")?.interval, "week");
  assertEquals(db.profiles.get(MEMBER)!.stripeSubscriptionId, "sub_p3");
});

Deno.test("prices: a failure to record the price is a 500 and the event stays unrecorded for Stripe's retry", async () => {
  const { db, handler } = setup();
  db.failNext = new Error("connection reset");
  const e = subscriptionEvent("customer.subscription.created", {
    id: "sub_p4",
    customer: "cus_p4",
    status: "active",
    userId: MEMBER,
  }, T0);
  assertEquals((await deliver(handler, e)).status, 500);
  assertEquals(db.processed.size, 0);
  assertEquals(db.prices.size, 0);
  const again = await deliver(handler, e);
  assertEquals([again.status, again.body.outcome, db.prices.size], [200, "applied", 1]);
});

Deno.test("a database failure is reported to Sentry (when configured) without the member's data", async () => {
  const { db, handler } = setup();
  const net = new FakeFetch();
  const envelopes: string[] = [];
  net.on("POST", /^https:\/\/sentry\.example\/api\/7\/envelope\/$/, (req) => {
    envelopes.push(req.body);
    return jsonResponse({});
  });
  configureReports({ dsn: "https://k1@sentry.example/7", fetch: net.fetch });
  try {
    db.failNext = new Error(`insert failed for "chris@example.com" (${MEMBER})`);
    const e = subscriptionEvent("customer.subscription.created", {
      id: "sub_r1",
      customer: "cus_r1",
      status: "active",
      userId: MEMBER,
    }, T0);
    assertEquals((await deliver(handler, e)).status, 500);
  } finally {
    configureReports(null);
  }
  assertEquals(envelopes.length, 1);
  const event = JSON.parse(envelopes[0].trimEnd().split("\n")[2]);
  assertEquals(event.tags.function, "stripe-webhook");
  for (const secret of ["chris@example.com", MEMBER, "cus_r1", "sub_r1"]) {
    assertEquals(envelopes[0].includes(secret), false, secret);
  }
});
