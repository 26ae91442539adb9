// POST /reminder-dispatch (scheduled; header x-cron-secret) → {"claimed", "sent", "failed"}.
// Drains notification_queue's email reminders in batches: claim_notifications_for('email', n)
// locks rows (FOR UPDATE SKIP LOCKED, so two runners never send the same reminder), each
// reminder is sent through Kit (a tag per reminder kind starts a Kit automation that mails the
// member and removes the tag), and finish_notification marks it sent, or pending for a retry,
// or failed after 5 attempts. Push rows are left for a push sender (channel column).
import type { Db, ReminderJob } from "../_shared/db.ts";
import { json, requireCronSecret, route } from "../_shared/http.ts";
import { KitClient, KitError } from "../_shared/kit.ts";

export interface ReminderDeps {
  db: Db;
  kit: KitClient;
  cronSecret: string;
  tags: { morning_reminder: string; evening_reminder: string };
  batchSize?: number;
  maxBatches?: number;
  concurrency?: number;
}

async function sendOne(deps: ReminderDeps, job: ReminderJob): Promise<void> {
  if (!job.email) throw new KitError(422, "member has no email address");
  const tag = deps.tags[job.kind];
  try {
    await deps.kit.tagSubscriberByEmail(tag, job.email);
  } catch (err) {
    // tagging needs an existing subscriber: create it (with the link the email uses), then tag
    if (!(err instanceof KitError) || (err.status !== 404 && err.status !== 422)) throw err;
    await deps.kit.upsertSubscriber({ email_address: job.email, first_name: job.fullName, state: "active" });
    await deps.kit.tagSubscriberByEmail(tag, job.email);
  }
}

export function makeReminderDispatchHandler(deps: ReminderDeps): (req: Request) => Promise<Response> {
  const batchSize = deps.batchSize ?? 50;
  const maxBatches = deps.maxBatches ?? 10;
  const concurrency = deps.concurrency ?? 4;
  return route(async (req) => {
    requireCronSecret(req, deps.cronSecret);
    let claimed = 0, sent = 0, failed = 0;
    let rateLimited = false;
    for (let b = 0; b < maxBatches && !rateLimited; b++) {
      const jobs = await deps.db.claimReminders("email", batchSize);
      claimed += jobs.length;
      const queue = [...jobs];
      const worker = async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          if (rateLimited) {
            // Kit said slow down: the rest go back to pending and are sent by a later run
            await deps.db.finishReminder(job.id, false, "not attempted: Kit rate limit");
            failed++;
            continue;
          }
          try {
            await sendOne(deps, job);
            await deps.db.finishReminder(job.id, true);
            sent++;
          } catch (err) {
            if (err instanceof KitError && err.status === 429) rateLimited = true;
            await deps.db.finishReminder(job.id, false, err instanceof Error ? err.message : String(err));
            failed++;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
      if (jobs.length < batchSize) break;
    }
    return json({ claimed, sent, failed, rate_limited: rateLimited });
  });
}
