// Every member function takes a 'functions' token after authenticating (member.ts admitMember);
// a refused token is exactly the agreed 429 and none of the function's work is done.
import { assert, assertEquals } from "./testing/assert.ts";
import { admitMember, rateLimited } from "./member.ts";
import { AI_MEMBER, aiSetup } from "./testing/ai_setup.ts";
import { StorageAdmin } from "./storage.ts";
import { makeStripe } from "./stripe.ts";
import { FakeStorage, SERVICE_ROLE_KEY } from "./testing/fake_storage.ts";
import { jsonResponse, SUPABASE_URL } from "./testing/fake_fetch.ts";
import { makeGenerateAffirmationsHandler } from "../generate-affirmations/handler.ts";
import { makeSuggestActionsHandler } from "../suggest-actions/handler.ts";
import { makeAnalyzeProgressHandler } from "../analyze-progress/handler.ts";
import { makeTranscribeReadingHandler } from "../transcribe-reading/handler.ts";
import { makeCheckoutHandler } from "../create-checkout-session/handler.ts";
import { makePortalHandler } from "../customer-portal/handler.ts";
import { makeExportDataHandler } from "../export-data/handler.ts";
import { HttpError } from "./http.ts";

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);

/** The seven member functions on one member, one database and one fake network. */
function setup() {
  const t = aiSetup({ affirmations: [] });
  let now = T0;
  t.db.clock = () => now;
  t.db.stats.set(AI_MEMBER, {
    currentStreak: 1,
    longestStreak: 1,
    totalDaysCompleted: 1,
    completionRate: 50,
    averageDisciplineRating: 7,
    disciplineScore: 50,
    today: "2026-12-02",
  });
  t.db.profiles.get(AI_MEMBER)!.stripeCustomerId = "cus_1";
  t.net.on("POST", /^https:\/\/api\.stripe\.com\//, () => jsonResponse({ id: "x", url: "https://stripe.test/x" }));
  new FakeStorage(t.net).bucket("recordings").bucket("vision-boards").bucket("exports"); // answers on t.net
  const stripe = makeStripe("sk_test_rate", t.net.fetch);
  const common = { db: t.db, authenticate: t.deps.authenticate };
  const handlers: Record<string, (req: Request) => Promise<Response>> = {
    "generate-affirmations": makeGenerateAffirmationsHandler(t.deps),
    "suggest-actions": makeSuggestActionsHandler(t.deps),
    "analyze-progress": makeAnalyzeProgressHandler(t.deps),
    "transcribe-reading": makeTranscribeReadingHandler(t.deps),
    "create-checkout-session": makeCheckoutHandler({
      ...common,
      stripe,
      priceId: "price_monthly",
      successUrl: "https://app.example/ok",
      cancelUrl: "https://app.example/cancel",
    }),
    "customer-portal": makePortalHandler({ ...common, stripe, returnUrl: "https://app.example/settings" }),
    "export-data": makeExportDataHandler({
      ...common,
      storage: new StorageAdmin(SUPABASE_URL, SERVICE_ROLE_KEY, t.net.fetch),
    }),
  };
  const work = () => t.net.requests.filter((r) => !/\/auth\/v1\/user$/.test(r.url.pathname));
  return { ...t, handlers, work, advance: (ms: number) => (now += ms) };
}

Deno.test("rate limit: a refused token is 429 + Retry-After + the agreed body, and no work is done", async () => {
  const t = setup();
  t.db.rateConfig.set("functions", 2);
  for (const [name, handler] of Object.entries(t.handlers)) {
    // half a token left at 2 a minute: the next whole one is 15 s away
    t.db.rateBuckets.set(`${AI_MEMBER}/functions`, { tokens: 0.5, at: T0 });
    const res = await handler(t.request({ goals: "run", audio: "T2dnUw==" }));
    assertEquals(res.status, 429, name);
    assertEquals(res.headers.get("Retry-After"), "15", name);
    assertEquals(res.headers.get("Access-Control-Allow-Origin"), "*", name);
    assertEquals(res.headers.get("Access-Control-Expose-Headers"), "Retry-After", name);
    assertEquals(
      await res.json(),
      { error: { code: "rate_limited", message: "Too many requests: try again in 15 s." } },
      name,
    );
  }
  assertEquals(t.work(), []); // no OpenAI, Stripe or Storage call
  assertEquals(t.db.quota.size, 0); // no AI quota used
  assertEquals(t.db.audit, []);
  assertEquals(t.db.rateTaken, []);
});

Deno.test("rate limit: a burst gets its tokens, then 429; the bucket refills with time", async () => {
  const t = setup();
  t.db.rateConfig.set("functions", 3);
  const portal = t.handlers["customer-portal"];
  for (let i = 0; i < 3; i++) assertEquals((await portal(t.request())).status, 200, `request ${i + 1}`);
  let res = await portal(t.request());
  assertEquals([res.status, res.headers.get("Retry-After")], [429, "20"]); // 3 a minute: one every 20 s
  assertEquals(t.work().length, 3);
  t.advance(19_000);
  res = await portal(t.request());
  assertEquals([res.status, res.headers.get("Retry-After")], [429, "1"]); // 1 s left, rounded up
  t.advance(1_000);
  assertEquals((await portal(t.request())).status, 200);
  assertEquals(t.work().length, 4);
  // the bucket is per member and per function family: the same member's AI request shares it
  res = await t.handlers["analyze-progress"](t.request());
  assertEquals(res.status, 429);
});

Deno.test("rate limit: an unknown token is 401 and takes no token", async () => {
  const t = setup();
  for (const [name, handler] of Object.entries(t.handlers)) {
    assertEquals((await handler(t.request({}, "bad-token"))).status, 401, name);
  }
  assertEquals(t.db.rateTaken, []);
});

Deno.test("rate limit: admitMember asks the 'functions' bucket; waits round up to whole seconds", async () => {
  const asked: string[] = [];
  const member = await admitMember({
    authenticate: () => Promise.resolve({ id: "m1", email: null }),
    db: {
      takeRateToken: (id, bucket) => {
        asked.push(`${id}/${bucket}`);
        return Promise.resolve(0);
      },
    },
  }, new Request("http://x/"));
  assertEquals([member.id, asked], ["m1", ["m1/functions"]]);
  for (const [wait, shown] of [[0.2, "1"], [1, "1"], [1.01, "2"], [59.5, "60"]] as const) {
    const err = rateLimited(wait);
    assert(err instanceof HttpError);
    assertEquals([err.status, err.headers["Retry-After"], err.message], [
      429,
      shown,
      `Too many requests: try again in ${shown} s.`,
    ]);
  }
});
