import { assertEquals } from "../_shared/testing/assert.ts";
import { AFFIRMATIONS_SCHEMA, makeGenerateAffirmationsHandler } from "./handler.ts";
import { secondsToUtcMidnight } from "../_shared/ai.ts";
import { AI_MEMBER, aiSetup } from "../_shared/testing/ai_setup.ts";
import { jsonResponse } from "../_shared/testing/fake_fetch.ts";
import { completion, hangingFetch } from "../_shared/testing/fake_openai.ts";
import { providerSchema } from "../_shared/schema.ts";

const GOOD = {
  affirmations: [
    "I keep my word to myself.",
    "I act before I feel ready.",
    "I train my body daily.",
    "I speak with conviction.",
    "I finish what I start.",
  ],
};

Deno.test("affirmations: drafted from the goals with a strict JSON schema, validated, saved as a new version", async () => {
  const t = aiSetup(GOOD);
  const handler = makeGenerateAffirmationsHandler(t.deps);
  const res = await handler(t.request({ goals: "Run a marathon and grow my business", tone: "calm" }));
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(body.version, 1);
  assertEquals(body.affirmations, GOOD.affirmations);
  assertEquals(body.content, GOOD.affirmations.join("\n"));
  assertEquals(t.db.affirmations.map((a) => [a.userId, a.version, a.isActive]), [[AI_MEMBER, 1, true]]);
  const [call] = t.openaiCalls();
  assertEquals(call.model, "gpt-test-model");
  assertEquals(call.response_format, {
    type: "json_schema",
    json_schema: { name: "affirmations", strict: true, schema: providerSchema(AFFIRMATIONS_SCHEMA) },
  });
  assertEquals(call.messages[0].role, "system");
  assertEquals(call.messages[1].content.includes("Run a marathon"), true);
  assertEquals(call.messages[1].content.includes("Tone: calm"), true);
  // a second draft is version 2 (the database numbers versions)
  assertEquals((await (await handler(t.request({ goals: "more" }))).json()).version, 2);
});

Deno.test("affirmations: an output that fails validation is a clear 502; nothing saved, quota given back", async () => {
  for (
    const bad of [{ affirmations: ["too", "few"] }, { affirmations: GOOD.affirmations, extra: 1 }, "not json {", {
      wrong: [],
    }]
  ) {
    const t = aiSetup(bad);
    const res = await makeGenerateAffirmationsHandler(t.deps)(t.request({ goals: "discipline" }));
    assertEquals(res.status, 502);
    assertEquals((await res.json()).error.code, "ai_invalid_output");
    assertEquals(t.db.affirmations.length, 0);
    assertEquals(t.db.quota.get(`${AI_MEMBER}/generate_affirmations`), 0);
  }
});

Deno.test("affirmations: provider errors and refusals are clear errors and save nothing", async () => {
  const t = aiSetup(GOOD);
  const handler = makeGenerateAffirmationsHandler(t.deps);
  t.setAnswer(() => jsonResponse({ error: { message: "The server had an error", type: "server_error" } }, 500));
  let res = await handler(t.request({ goals: "x" }));
  assertEquals([res.status, (await res.json()).error.code], [502, "ai_unavailable"]);
  t.setAnswer(() =>
    jsonResponse({ error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }, 429)
  );
  res = await handler(t.request({ goals: "x" }));
  assertEquals([res.status, (await res.json()).error.code], [502, "ai_unavailable"]);
  t.setAnswer(() => jsonResponse(completion("", { content: null, refusal: "I can't help with that." })));
  res = await handler(t.request({ goals: "x" }));
  assertEquals([res.status, (await res.json()).error.code], [502, "ai_refused"]);
  assertEquals(t.db.affirmations.length, 0);
  assertEquals(t.db.quota.get(`${AI_MEMBER}/generate_affirmations`), 0);
});

Deno.test("affirmations: a provider timeout is a 504; nothing saved, quota given back", async () => {
  const t = aiSetup(GOOD);
  const res = await makeGenerateAffirmationsHandler({ ...t.deps, fetch: hangingFetch, timeoutMs: 30 })(
    t.request({ goals: "x" }),
  );
  assertEquals(res.status, 504);
  assertEquals((await res.json()).error.code, "ai_timeout");
  assertEquals(t.db.affirmations.length, 0);
  assertEquals(t.db.quota.get(`${AI_MEMBER}/generate_affirmations`), 0);
});

Deno.test("affirmations: the daily quota is enforced (429) without calling the provider", async () => {
  const t = aiSetup(GOOD);
  const handler = makeGenerateAffirmationsHandler(t.deps);
  for (let i = 0; i < 3; i++) assertEquals((await handler(t.request({ goals: "x" }))).status, 200);
  const res = await handler(t.request({ goals: "x" }));
  assertEquals(res.status, 429);
  assertEquals((await res.json()).error.code, "quota_exceeded");
  // Retry-After: until the quota's next (UTC) day
  const wait = Number(res.headers.get("Retry-After"));
  assertEquals(Number.isInteger(wait) && wait >= 1 && wait <= 86400, true, `Retry-After ${wait}`);
  assertEquals(t.openaiCalls().length, 3);
});

Deno.test("affirmations: bad input is 400 before any quota is used; no token is 401", async () => {
  const t = aiSetup(GOOD);
  const handler = makeGenerateAffirmationsHandler(t.deps);
  for (const body of [{}, { goals: "" }, { goals: 42 }, { goals: "x".repeat(2001) }]) {
    const res = await handler(t.request(body));
    assertEquals(res.status, 400, JSON.stringify(body));
  }
  assertEquals(
    (await handler(
      new Request("http://x/", { method: "POST", body: "[1]", headers: { Authorization: "Bearer member-token" } }),
    )).status,
    400,
  );
  assertEquals((await handler(t.request({ goals: "x" }, "bad-token"))).status, 401);
  assertEquals(t.db.quota.size, 0);
  assertEquals(t.openaiCalls().length, 0);
});

Deno.test("affirmations: the quota's Retry-After counts to the next UTC midnight", () => {
  assertEquals(secondsToUtcMidnight(new Date("2026-12-02T23:59:59.500Z")), 1);
  assertEquals(secondsToUtcMidnight(new Date("2026-12-02T00:00:00Z")), 86400);
  assertEquals(secondsToUtcMidnight(new Date("2026-12-31T12:00:00Z")), 43200);
});
