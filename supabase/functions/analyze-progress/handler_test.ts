import { assertEquals } from "../_shared/testing/assert.ts";
import { makeAnalyzeProgressHandler } from "./handler.ts";
import { AI_MEMBER, aiSetup } from "../_shared/testing/ai_setup.ts";
import { hangingFetch } from "../_shared/testing/fake_openai.ts";

const ANALYSIS = {
  summary: "A strong month: 20 of 30 mornings done, ratings higher on days you did your action.",
  insights: ["Mondays are your weakest day.", "Your rating averages 8 when the action is done, 5 when it is not."],
  focus_for_next_week: "Protect Monday mornings: set the action the night before.",
};

function withData() {
  const t = aiSetup(ANALYSIS);
  t.db.stats.set(AI_MEMBER, {
    currentStreak: 4,
    longestStreak: 12,
    totalDaysCompleted: 20,
    completionRate: 66.67,
    averageDisciplineRating: 7.1,
    disciplineScore: 55.2,
    today: "2026-11-26",
  });
  t.db.sessions.set(AI_MEMBER, [
    {
      date: "2026-11-24",
      morningCompleted: true,
      violentAction: "Pitch the client",
      actionCompleted: true,
      eveningCompleted: true,
      disciplineRating: 8,
      biggestWin: "Signed",
    },
    {
      date: "2026-11-25",
      morningCompleted: false,
      violentAction: null,
      actionCompleted: null,
      eveningCompleted: false,
      disciplineRating: null,
      biggestWin: null,
    },
  ]);
  return t;
}

Deno.test("progress: insights from the last 30 days and the statistics", async () => {
  const t = withData();
  const res = await makeAnalyzeProgressHandler(t.deps)(t.request());
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { ...ANALYSIS, period: { from: "2026-10-28", to: "2026-11-26", days_completed: 1 } });
  const prompt: string = t.openaiCalls()[0].messages[1].content;
  assertEquals(prompt.includes("current streak 4"), true);
  assertEquals(
    prompt.includes('2026-11-24: morning done; action "Pitch the client" done; discipline 8/10; win: Signed'),
    true,
  );
  assertEquals(t.openaiCalls()[0].response_format.json_schema.name, "progress_analysis");
});

Deno.test("progress: timeout → 504 and the quota unit is given back", async () => {
  const t = withData();
  const res = await makeAnalyzeProgressHandler({ ...t.deps, fetch: hangingFetch, timeoutMs: 20 })(t.request());
  assertEquals(res.status, 504);
  assertEquals(t.db.quota.get(`${AI_MEMBER}/analyze_progress`), 0);
});

Deno.test("progress: an analysis missing a field is rejected", async () => {
  const t = aiSetup({ summary: ANALYSIS.summary, insights: ANALYSIS.insights });
  t.db.stats.set(AI_MEMBER, {
    currentStreak: 0,
    longestStreak: 0,
    totalDaysCompleted: 0,
    completionRate: 0,
    averageDisciplineRating: 0,
    disciplineScore: 0,
    today: "2026-11-26",
  });
  const res = await makeAnalyzeProgressHandler(t.deps)(t.request());
  assertEquals([res.status, (await res.json()).error.code], [502, "ai_invalid_output"]);
});
