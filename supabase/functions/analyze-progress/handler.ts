// POST /analyze-progress (member JWT), body {} → {"summary", "insights": [text] × 2–5,
// "focus_for_next_week", "period": {"from", "to", "days_completed"}}: insights from the last 30
// protocol days (sessions, ratings, wins) and the statistics the database keeps. Nothing saved.
import type { Db } from "../_shared/db.ts";
import { type AiDeps, completeJson, makeAiHandler } from "../_shared/ai.ts";
import { HttpError } from "../_shared/http.ts";
import type { Schema } from "../_shared/schema.ts";

export const PROGRESS_SCHEMA: Schema = {
  type: "object",
  properties: {
    summary: { type: "string", minLength: 10, maxLength: 600 },
    insights: { type: "array", minItems: 2, maxItems: 5, items: { type: "string", minLength: 5, maxLength: 300 } },
    focus_for_next_week: { type: "string", minLength: 5, maxLength: 300 },
  },
  required: ["summary", "insights", "focus_for_next_week"],
  additionalProperties: false,
};

export function makeAnalyzeProgressHandler(deps: AiDeps & { db: Db }) {
  return makeAiHandler(deps, "analyze_progress", () => ({}), async (member) => {
    const stats = await deps.db.memberStats(member.id);
    if (!stats) throw new HttpError(404, "no_profile", "Your account is not set up yet.");
    const sessions = await deps.db.recentSessions(member.id, 30);
    const days = sessions.map((s) =>
      `${s.date}: morning ${s.morningCompleted ? "done" : "missed"}` +
      (s.violentAction
        ? `; action "${s.violentAction}" ${
          s.actionCompleted ? "done" : s.actionCompleted === false ? "missed" : "not reported"
        }`
        : "") +
      (s.disciplineRating ? `; discipline ${s.disciplineRating}/10` : "") +
      (s.biggestWin ? `; win: ${s.biggestWin.slice(0, 200)}` : "")
    ).join("\n");
    const out = await completeJson<{ summary: string; insights: string[]; focus_for_next_week: string }>(
      deps,
      "progress_analysis",
      PROGRESS_SCHEMA,
      {
        system: "You are a direct, encouraging discipline coach. From the member's last 30 days, write a short " +
          "summary, 2 to 5 specific insights (patterns by weekday, ratings vs. completed actions, streak risks) " +
          "and one focus for next week. Use only the data given.",
        user: `Statistics: current streak ${stats.currentStreak}, longest ${stats.longestStreak}, ` +
          `completion rate ${stats.completionRate}% (90 days), average discipline ${stats.averageDisciplineRating}, ` +
          `discipline score ${stats.disciplineScore}%.\nLast 30 days (days not listed: nothing recorded):\n${
            days || "no sessions"
          }`,
      },
    );
    const from = new Date(Date.parse(stats.today) - 29 * 86400000).toISOString().slice(0, 10);
    return {
      ...out,
      period: { from, to: stats.today, days_completed: sessions.filter((s) => s.morningCompleted).length },
    };
  });
}
