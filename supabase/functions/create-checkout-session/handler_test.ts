import { assert, assertEquals } from "../_shared/testing/assert.ts";
import { makeCheckoutHandler } from "./handler.ts";
import { supabaseAuthenticator } from "../_shared/auth.ts";
import { makeStripe } from "../_shared/stripe.ts";
import { MemoryDb } from "../_shared/testing/memory_db.ts";
import {
  ANON_KEY,
  FakeFetch,
  fakeSupabaseAuth,
  form,
  jsonResponse,
  SUPABASE_URL,
} from "../_shared/testing/fake_fetch.ts";

const MEMBER = "7e0c3a52-2f57-4d7e-9a3b-61b1a3b9c001";

function setup() {
  const db = new MemoryDb();
  const member = db.addMember(MEMBER, "chris@example.com");
  const net = new FakeFetch();
  fakeSupabaseAuth(net, { "member-token": { id: MEMBER, email: "chris@example.com" } });
  net.on("POST", /^https:\/\/api\.stripe\.com\/v1\/checkout\/sessions$/, () =>
    jsonResponse({
      id: "cs_test_a1",
      object: "checkout.session",
      mode: "subscription",
      status: "open",
      url: "https://checkout.stripe.com/c/pay/cs_test_a1",
    }));
  const handler = makeCheckoutHandler({
    stripe: makeStripe("sk_test_123", net.fetch),
    db,
    authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
    priceId: "price_monthly",
    successUrl: "https://app.example/subscribe?checkout=success",
    cancelUrl: "https://app.example/subscribe?checkout=cancel",
  });
  return { db, member, net, handler };
}

const post = (token?: string) =>
  new Request("http://localhost/create-checkout-session", {
    method: "POST",
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    body: "{}",
  });

Deno.test("checkout: a member gets a subscription-mode session for the configured price, with their id", async () => {
  const { net, handler } = setup();
  const res = await handler(post("member-token"));
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { id: "cs_test_a1", url: "https://checkout.stripe.com/c/pay/cs_test_a1" });
  const auth = net.to(/auth\/v1\/user/);
  assertEquals(auth.length, 1);
  assertEquals(auth[0].headers.get("Authorization"), "Bearer member-token");
  const [call] = net.to(/api\.stripe\.com/);
  assertEquals(call.headers.get("Authorization"), "Bearer sk_test_123");
  assertEquals(call.headers.get("Content-Type"), "application/x-www-form-urlencoded");
  const p = form(call.body);
  assertEquals(p["mode"], "subscription");
  assertEquals(p["line_items[0][price]"], "price_monthly");
  assertEquals(p["line_items[0][quantity]"], "1");
  assertEquals(p["client_reference_id"], MEMBER);
  assertEquals(p["metadata[user_id]"], MEMBER);
  assertEquals(p["subscription_data[metadata][user_id]"], MEMBER);
  assertEquals(p["success_url"], "https://app.example/subscribe?checkout=success");
  assertEquals(p["cancel_url"], "https://app.example/subscribe?checkout=cancel");
  assertEquals(p["customer_email"], "chris@example.com");
  assert(!("customer" in p));
});

Deno.test("checkout: a member who already has a Stripe customer reuses it", async () => {
  const { member, net, handler } = setup();
  member.stripeCustomerId = "cus_existing";
  member.subscriptionStatus = "cancelled";
  assertEquals((await handler(post("member-token"))).status, 200);
  const p = form(net.to(/api\.stripe\.com/)[0].body);
  assertEquals(p["customer"], "cus_existing");
  assert(!("customer_email" in p));
});

Deno.test("checkout: no or a bad token is 401 and Stripe is never called", async () => {
  const { net, handler } = setup();
  for (const token of [undefined, "forged"]) {
    const res = await handler(post(token));
    assertEquals(res.status, 401);
    assertEquals((await res.json()).error.code, "unauthorized");
  }
  assertEquals(net.to(/api\.stripe\.com/).length, 0);
});

Deno.test("checkout: an active or past_due member gets 409 already_subscribed (no second subscription)", async () => {
  for (const status of ["active", "past_due"] as const) {
    const { member, net, handler } = setup();
    member.subscriptionStatus = status;
    const res = await handler(post("member-token"));
    assertEquals(res.status, 409);
    assertEquals((await res.json()).error.code, "already_subscribed");
    assertEquals(net.to(/api\.stripe\.com/).length, 0);
  }
});

Deno.test("checkout: a Stripe error is a clear 502", async () => {
  const { net, handler } = setup();
  net.on(
    "POST",
    /api\.stripe\.com\/v1\/checkout\/sessions/,
    () => jsonResponse({ error: { type: "invalid_request_error", message: "No such price: 'price_monthly'" } }, 400),
  );
  const res = await handler(post("member-token"));
  assertEquals(res.status, 502);
  assertEquals((await res.json()).error.code, "stripe_unavailable");
});

Deno.test("checkout: CORS preflight and method checks", async () => {
  const { handler } = setup();
  const pre = await handler(new Request("http://localhost/", { method: "OPTIONS" }));
  assertEquals(pre.status, 200);
  assertEquals(pre.headers.get("Access-Control-Allow-Origin"), "*");
  assertEquals((await handler(new Request("http://localhost/", { method: "GET" }))).status, 405);
});
