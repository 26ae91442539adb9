// POST /suggest-actions (member JWT), body {"focus"?: "business"|"personal"|"relationship"|
// "health"} → {"target_difficulty", "recent": {"completed", "missed"}, "actions": [{"action",
// "category", "difficulty", "why"}] × 3}. Informed by the last 14 days' violent actions and
// evening outcomes: the target difficulty rises after completions and falls after misses.
// Nothing is saved: the member picks one in the morning protocol.
import type { Db, SessionSummary } from "../_shared/db.ts";
import { type AiDeps, completeJson, makeAiHandler } from "../_shared/ai.ts";
import { HttpError } from "../_shared/http.ts";
import type { Schema } from "../_shared/schema.ts";

export const CATEGORIES = ["business", "personal", "relationship", "health"] as const;

export const ACTIONS_SCHEMA: Schema = {
  type: "object",
  properties: {
    actions: {
      type: "array",
      minItems: 3,
      maxItems: 3,
      items: {
        type: "object",
        properties: {
          action: { type: "string", minLength: 3, maxLength: 200 },
          category: { type: "string", enum: [...CATEGORIES] },
          difficulty: { type: "integer", minimum: 1, maximum: 10 },
          why: { type: "string", minLength: 1, maxLength: 300 },
        },
        required: ["action", "category", "difficulty", "why"],
        additionalProperties: false,
      },
    },
  },
  required: ["actions"],
  additionalProperties: false,
};

/** Difficulty 1–10 to aim at: 5 to start; +1 per completed action, −1 per missed one, the
 * most recent days weighing most (the last 7 reported outcomes). */
export function targetDifficulty(sessions: SessionSummary[]): number {
  const outcomes = sessions.filter((s) => s.violentAction && s.actionCompleted !== null).slice(-7);
  let target = 5;
  for (const s of outcomes) target += s.actionCompleted ? 1 : -1;
  return Math.max(1, Math.min(10, target));
}

export function makeSuggestActionsHandler(deps: AiDeps & { db: Db }) {
  return makeAiHandler(deps, "suggest_actions", (body) => {
    const focus = body.focus ?? null;
    if (focus !== null && !CATEGORIES.includes(focus as typeof CATEGORIES[number])) {
      throw new HttpError(400, "invalid_request", `"focus" must be one of ${CATEGORIES.join(", ")}.`);
    }
    return { focus: focus as string | null };
  }, async (member, { focus }) => {
    const sessions = await deps.db.recentSessions(member.id, 14);
    const target = targetDifficulty(sessions);
    const history = sessions.filter((s) => s.violentAction).map((s) =>
      `${s.date}: "${s.violentAction}" — ${
        s.actionCompleted === null ? "not reported" : s.actionCompleted ? "done" : "missed"
      }` +
      (s.disciplineRating ? `, discipline ${s.disciplineRating}/10` : "")
    ).join("\n");
    const out = await completeJson<
      { actions: { action: string; category: string; difficulty: number; why: string }[] }
    >(
      deps,
      "violent_actions",
      ACTIONS_SCHEMA,
      {
        system: "You suggest 'violent actions' for a discipline app: one bold move outside the member's comfort " +
          "zone, doable today, concrete and checkable tonight. Suggest exactly 3, each with a category " +
          `(${
            CATEGORIES.join(", ")
          }), a difficulty from 1 to 10 and one sentence on why. Do not repeat recent actions.`,
        user: `Target difficulty: ${target}/10 (around it, ±1).` + (focus ? ` Focus: ${focus}.` : "") +
          `\nMy recent actions:\n${history || "none yet"}`,
      },
    );
    const done = sessions.filter((s) => s.violentAction && s.actionCompleted === true).length;
    const missed = sessions.filter((s) => s.violentAction && s.actionCompleted === false).length;
    return { target_difficulty: target, recent: { completed: done, missed }, actions: out.actions };
  });
}
