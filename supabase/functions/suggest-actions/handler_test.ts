import { assertEquals } from "../_shared/testing/assert.ts";
import { ACTIONS_SCHEMA, makeSuggestActionsHandler, targetDifficulty } from "./handler.ts";
import { AI_MEMBER, aiSetup } from "../_shared/testing/ai_setup.ts";
import { providerSchema } from "../_shared/schema.ts";
import type { SessionSummary } from "../_shared/db.ts";

const ACTIONS = {
  actions: [
    { action: "Cold-call ten prospects", category: "business", difficulty: 8, why: "You cleared five yesterday." },
    { action: "Run 10 km before work", category: "health", difficulty: 7, why: "Builds on your streak." },
    { action: "Ask for honest feedback from your partner", category: "relationship", difficulty: 7, why: "Hard talk." },
  ],
};

const day = (
  date: string,
  action: string | null,
  done: boolean | null,
  rating: number | null = null,
): SessionSummary => ({
  date,
  morningCompleted: true,
  violentAction: action,
  actionCompleted: done,
  eveningCompleted: done !== null,
  disciplineRating: rating,
  biggestWin: null,
});

Deno.test("actions: target difficulty rises after completions and falls after misses", () => {
  assertEquals(targetDifficulty([]), 5);
  const wins = ["01", "02", "03"].map((d) => day(`2026-11-${d}`, "a", true));
  const misses = ["01", "02", "03"].map((d) => day(`2026-11-${d}`, "a", false));
  assertEquals(targetDifficulty(wins), 8);
  assertEquals(targetDifficulty(misses), 2);
  assertEquals(targetDifficulty([day("2026-11-01", null, null), day("2026-11-02", "a", null)]), 5);
  assertEquals(targetDifficulty(Array.from({ length: 20 }, (_, i) => day(`d${i}`, "a", true))), 10);
});

Deno.test("actions: 3 bold actions with category and difficulty, from recent actions and outcomes", async () => {
  const t = aiSetup(ACTIONS);
  t.db.sessions.set(AI_MEMBER, [
    day("2026-11-24", "Cold-call five prospects", true, 8),
    day("2026-11-25", "Cold shower", true, 9),
  ]);
  const res = await makeSuggestActionsHandler(t.deps)(t.request({ focus: "business" }));
  assertEquals(res.status, 200);
  assertEquals(await res.json(), {
    target_difficulty: 7,
    recent: { completed: 2, missed: 0 },
    actions: ACTIONS.actions,
  });
  const [call] = t.openaiCalls();
  assertEquals(call.response_format.json_schema.schema, providerSchema(ACTIONS_SCHEMA));
  const prompt: string = call.messages[1].content;
  assertEquals(prompt.includes("Target difficulty: 7/10"), true);
  assertEquals(prompt.includes('"Cold-call five prospects" — done'), true);
  assertEquals(prompt.includes("Focus: business"), true);
});

Deno.test("actions: after misses the prompt asks for easier actions", async () => {
  const t = aiSetup(ACTIONS);
  t.db.sessions.set(AI_MEMBER, [
    day("2026-11-24", "Speak at the meetup", false, 3),
    day("2026-11-25", "Call mum", false),
  ]);
  await makeSuggestActionsHandler(t.deps)(t.request());
  assertEquals(t.openaiCalls()[0].messages[1].content.includes("Target difficulty: 3/10"), true);
});

Deno.test("actions: not exactly 3, an unknown category or a difficulty out of range is rejected (502)", async () => {
  const bad = [
    { actions: ACTIONS.actions.slice(0, 2) },
    { actions: [{ ...ACTIONS.actions[0], category: "finance" }, ...ACTIONS.actions.slice(1)] },
    { actions: [{ ...ACTIONS.actions[0], difficulty: 11 }, ...ACTIONS.actions.slice(1)] },
    { actions: [{ ...ACTIONS.actions[0], difficulty: 7.5 }, ...ACTIONS.actions.slice(1)] },
  ];
  for (const answer of bad) {
    const t = aiSetup(answer);
    const res = await makeSuggestActionsHandler(t.deps)(t.request());
    assertEquals([res.status, (await res.json()).error.code], [502, "ai_invalid_output"]);
    assertEquals(t.db.quota.get(`${AI_MEMBER}/suggest_actions`), 0);
  }
});

Deno.test("actions: an unknown focus is 400", async () => {
  const t = aiSetup(ACTIONS);
  assertEquals((await makeSuggestActionsHandler(t.deps)(t.request({ focus: "finance" }))).status, 400);
});
