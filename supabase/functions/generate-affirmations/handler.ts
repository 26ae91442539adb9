// POST /generate-affirmations (member JWT), body {"goals": text ≤ 2000, "tone"?: text ≤ 200}
// → {"id", "version", "affirmations": [text], "content"}: 5–10 affirmations written from the
// member's goals, saved as a new affirmations version (the database numbers it under a lock
// and makes it active; never racing) only once the output has been validated.
import type { Db } from "../_shared/db.ts";
import { type AiDeps, completeJson, makeAiHandler, textField } from "../_shared/ai.ts";
import type { Schema } from "../_shared/schema.ts";

export const AFFIRMATIONS_SCHEMA: Schema = {
  type: "object",
  properties: {
    affirmations: {
      type: "array",
      minItems: 5,
      maxItems: 10,
      items: { type: "string", minLength: 3, maxLength: 300, description: "first person, present tense" },
    },
  },
  required: ["affirmations"],
  additionalProperties: false,
};

export function makeGenerateAffirmationsHandler(deps: AiDeps & { db: Db }) {
  return makeAiHandler(
    deps,
    "generate_affirmations",
    (body) => ({
      goals: textField(body, "goals", { required: true, max: 2000 })!,
      tone: textField(body, "tone", { max: 200 }),
    }),
    async (member, { goals, tone }) => {
      const out = await completeJson<{ affirmations: string[] }>(deps, "affirmations", AFFIRMATIONS_SCHEMA, {
        system: "You write daily affirmations for a discipline app. Write 5 to 10 short affirmations in the first " +
          "person and present tense, concrete and bold, each tied to the member's goals. No numbering, no emojis.",
        user: `My goals:\n${goals}${tone ? `\n\nTone: ${tone}` : ""}`,
      });
      const affirmations = out.affirmations.map((a) => a.trim());
      const content = affirmations.join("\n");
      const saved = await deps.db.saveAffirmations(member.id, content);
      return { id: saved.id, version: saved.version, affirmations, content };
    },
  );
}
