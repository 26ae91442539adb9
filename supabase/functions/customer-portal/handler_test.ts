import { assertEquals } from "../_shared/testing/assert.ts";
import { makePortalHandler } from "./handler.ts";
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

const MEMBER = "7e0c3a52-2f57-4d7e-9a3b-61b1a3b9c002";

function setup() {
  const db = new MemoryDb();
  const member = db.addMember(MEMBER, "chris@example.com");
  const net = new FakeFetch();
  fakeSupabaseAuth(net, { "member-token": { id: MEMBER, email: "chris@example.com" } });
  net.on("POST", /^https:\/\/api\.stripe\.com\/v1\/billing_portal\/sessions$/, (req) =>
    jsonResponse({
      id: "bps_1",
      object: "billing_portal.session",
      customer: form(req.body).customer,
      return_url: form(req.body).return_url,
      url: "https://billing.stripe.com/p/session/test_1",
    }));
  const handler = makePortalHandler({
    stripe: makeStripe("sk_test_123", net.fetch),
    db,
    authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
    returnUrl: "https://app.example/settings",
  });
  return { member, net, handler };
}

const post = (token: string) =>
  new Request("http://localhost/customer-portal", { method: "POST", headers: { Authorization: `Bearer ${token}` } });

Deno.test("portal: a member with a Stripe customer gets a billing portal URL for that customer", async () => {
  const { member, net, handler } = setup();
  member.stripeCustomerId = "cus_42";
  const res = await handler(post("member-token"));
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { url: "https://billing.stripe.com/p/session/test_1" });
  const [call] = net.to(/api\.stripe\.com/);
  assertEquals(form(call.body), { customer: "cus_42", return_url: "https://app.example/settings" });
});

Deno.test("portal: a member who never subscribed gets 409 no_customer", async () => {
  const { net, handler } = setup();
  const res = await handler(post("member-token"));
  assertEquals(res.status, 409);
  assertEquals((await res.json()).error.code, "no_customer");
  assertEquals(net.to(/api\.stripe\.com/).length, 0);
});

Deno.test("portal: a bad token is 401", async () => {
  const { handler } = setup();
  assertEquals((await handler(post("nope"))).status, 401);
});
