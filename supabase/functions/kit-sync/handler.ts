// POST /kit-sync (scheduled; header x-cron-secret) → {"claimed", "sent", "skipped", "failed"}.
// Drains kit_sync_queue (claim_kit_sync / finish_kit_sync, SKIP LOCKED, 5 attempts):
// - 'welcome' (queued at sign-up): upsert the subscriber with the member number, tag "member";
// - 'weekly' (queued by the weekly pg_cron job): upsert the custom fields week_number,
//   current_streak, completion_rate, average_rating, discipline_score, then tag "weekly
//   progress", which starts the Kit automation that sends the weekly email (and removes the tag).
// A member who turned the weekly email off after the row was queued is skipped.
import type { Db, KitJob } from "../_shared/db.ts";
import { json, requireCronSecret, route } from "../_shared/http.ts";
import { KitClient, KitError } from "../_shared/kit.ts";

export const KIT_FIELDS = [
  "member_number",
  "week_number",
  "current_streak",
  "longest_streak",
  "completion_rate",
  "average_rating",
  "discipline_score",
  "subscription_status",
] as const;

export interface KitSyncDeps {
  db: Db;
  kit: KitClient;
  cronSecret: string;
  memberTagId: string | null;
  weeklyTagId: string | null;
  batchSize?: number;
  maxBatches?: number;
}

/** The subscriber fields of a job (Kit stores custom fields as strings). */
export function fieldsFor(job: KitJob): Record<string, string> {
  const base: Record<string, string> = {
    member_number: job.memberCode,
    subscription_status: job.subscriptionStatus,
  };
  if (job.kind === "welcome") return base;
  return {
    ...base,
    week_number: String(job.weekNumber),
    current_streak: String(job.currentStreak),
    longest_streak: String(job.longestStreak),
    completion_rate: job.completionRate.toFixed(2),
    average_rating: job.averageDisciplineRating.toFixed(1),
    discipline_score: job.disciplineScore.toFixed(1),
  };
}

const firstName = (full: string | null) => full?.trim().split(/\s+/)[0] || null;

export function makeKitSyncHandler(deps: KitSyncDeps): (req: Request) => Promise<Response> {
  const batchSize = deps.batchSize ?? 50;
  const maxBatches = deps.maxBatches ?? 10;
  return route(async (req) => {
    requireCronSecret(req, deps.cronSecret);
    let claimed = 0, sent = 0, skipped = 0, failed = 0, fieldsReady = false, stop = false;
    for (let b = 0; b < maxBatches && !stop; b++) {
      const jobs = await deps.db.claimKitSync(batchSize);
      claimed += jobs.length;
      for (const job of jobs) {
        if (stop) {
          await deps.db.finishKitSync(job.id, false, "not attempted: Kit rate limit");
          failed++;
          continue;
        }
        if (!job.email || (job.kind === "weekly" && !job.weeklyEmail)) {
          await deps.db.finishKitSync(job.id, true); // nothing to send, and nothing to retry
          skipped++;
          continue;
        }
        try {
          if (!fieldsReady) {
            await deps.kit.ensureCustomFields([...KIT_FIELDS]);
            fieldsReady = true;
          }
          await deps.kit.upsertSubscriber({
            email_address: job.email,
            first_name: firstName(job.fullName),
            state: "active",
            fields: fieldsFor(job),
          });
          const tag = job.kind === "welcome" ? deps.memberTagId : deps.weeklyTagId;
          if (tag) await deps.kit.tagSubscriberByEmail(tag, job.email);
          await deps.db.finishKitSync(job.id, true);
          sent++;
        } catch (err) {
          if (err instanceof KitError && err.status === 429) stop = true;
          await deps.db.finishKitSync(job.id, false, err instanceof Error ? err.message : String(err));
          failed++;
        }
      }
      if (jobs.length < batchSize) break;
    }
    return json({ claimed, sent, skipped, failed, rate_limited: stop });
  });
}
