// POST /reminder-dispatch (scheduled; header x-cron-secret) →
// {"claimed", "sent", "failed", "rate_limited", "email": {...}, "push": {...} | null}.
//
// Drains notification_queue, both channels side by side:
// - email, through Kit: a tag per reminder kind starts a Kit automation that mails the member
//   and removes the tag;
// - push, through OneSignal (only when the function has a OneSignal client, i.e. both
//   ONESIGNAL_APP_ID and ONESIGNAL_REST_API_KEY are set; otherwise push rows are not touched):
//   one notification to the member's registered phones, with the row's idempotency key so a
//   retry after a timeout never shows twice (docs/push.md).
// A run starts with sender_heartbeat for each channel it can send on: the reminder job queues
// rows for a channel only while its sender is alive.
// Each channel is drained in batches: claim_notifications_for(channel, n) locks rows (SKIP
// LOCKED, so two runners never send the same reminder); finish_notification marks a reminder
// sent, or pending for a retry (failed after 5 attempts); a reminder that can never be sent (no
// valid phone) is failed at once. A rate limit stops that channel for this run: the claimed
// rest go back to pending for the next run.
import type { Channel, Db, ReminderJob } from "../_shared/db.ts";
import { json, requireCronSecret, route } from "../_shared/http.ts";
import { KitClient, KitError } from "../_shared/kit.ts";
import { logger, type LogSink } from "../_shared/log.ts";
import type { OneSignalClient } from "../_shared/onesignal.ts";

export interface ReminderDeps {
  db: Db;
  kit: KitClient;
  cronSecret: string;
  tags: { morning_reminder: string; evening_reminder: string };
  /** OneSignal; null or absent: this dispatcher does not send push. */
  push?: OneSignalClient | null;
  /** How long OneSignal keeps trying an offline phone; a reminder hours late is worse than none. */
  pushTtlSeconds?: number;
  batchSize?: number;
  maxBatches?: number;
  concurrency?: number;
  log?: LogSink;
}

export const PUSH_TTL_SECONDS = 2 * 3600;

/** The notification's words per kind: the same as the app's (src/chris_app/domain/reminders.py TEXT). */
export const PUSH_TEXT: Record<ReminderJob["kind"], { title: string; body: string }> = {
  morning_reminder: {
    title: "Morning protocol",
    body: "Read your affirmations aloud, look at your board, pick today's bold move.",
  },
  evening_reminder: {
    title: "Evening review",
    body: "Did you do it? Rate your discipline and write down your biggest win.",
  },
};

/** The app route a tap opens: the deep link's path (chrisapp://open/morning → /morning), else the kind's. */
export function routeOf(job: Pick<ReminderJob, "kind" | "deepLink">): "/morning" | "/evening" {
  const fallback = job.kind === "morning_reminder" ? "/morning" : "/evening";
  try {
    const path = new URL(job.deepLink).pathname;
    return path === "/morning" || path === "/evening" ? path : fallback;
  } catch {
    return fallback;
  }
}

/** What became of one reminder. */
type Result =
  | { sent: true }
  | {
    sent: false;
    error: string;
    /** never worth another attempt: failed now */
    final?: boolean;
    /** the provider wants no more requests in this run */
    stop?: "rate_limited" | "unauthorized";
  };

export interface ChannelCounts {
  claimed: number;
  sent: number;
  failed: number;
  rate_limited: boolean;
}

export interface PushCounts extends ChannelCounts {
  /** the provider refused the app id or key: the run stopped, the rows wait */
  unauthorized: boolean;
  /** registrations removed because OneSignal called them invalid */
  devices_forgotten: number;
}

async function sendEmail(deps: ReminderDeps, job: ReminderJob): Promise<Result> {
  if (!job.email) return { sent: false, error: "member has no email address" };
  const tag = deps.tags[job.kind];
  try {
    try {
      await deps.kit.tagSubscriberByEmail(tag, job.email);
    } catch (err) {
      // tagging needs an existing subscriber: create it (with the link the email uses), then tag
      if (!(err instanceof KitError) || (err.status !== 404 && err.status !== 422)) throw err;
      await deps.kit.upsertSubscriber({ email_address: job.email, first_name: job.fullName, state: "active" });
      await deps.kit.tagSubscriberByEmail(tag, job.email);
    }
    return { sent: true };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    if (err instanceof KitError && err.status === 429) return { sent: false, error, stop: "rate_limited" };
    return { sent: false, error };
  }
}

async function sendPush(
  deps: ReminderDeps,
  push: OneSignalClient,
  job: ReminderJob,
  counts: PushCounts,
): Promise<Result> {
  if (job.pushIds.length === 0) {
    return {
      sent: false,
      error: "no registered phone for push (unregistered after the reminder was queued)",
      final: true,
    };
  }
  const text = PUSH_TEXT[job.kind];
  const outcome = await push.sendPush({
    subscriptionIds: job.pushIds,
    title: text.title,
    body: text.body,
    data: { route: routeOf(job) },
    idempotencyKey: job.idempotencyKey,
    ttlSeconds: deps.pushTtlSeconds ?? PUSH_TTL_SECONDS,
  });
  switch (outcome.kind) {
    case "sent":
      if (outcome.invalidIds.length) {
        counts.devices_forgotten += await deps.db.forgetPushDevices(job.userId, outcome.invalidIds);
      }
      return { sent: true };
    case "no_valid_ids":
      counts.devices_forgotten += await deps.db.forgetPushDevices(job.userId, outcome.invalidIds);
      return { sent: false, error: `${outcome.message}; the registrations were removed`, final: true };
    case "rate_limited":
      return { sent: false, error: outcome.message, stop: "rate_limited" };
    case "error":
      if (outcome.unauthorized) return { sent: false, error: outcome.message, stop: "unauthorized" };
      return { sent: false, error: outcome.message, final: !outcome.retryable };
  }
}

/** Claims and sends one channel's due reminders, batch by batch, until none is left or a stop. */
async function drain(
  deps: ReminderDeps,
  channel: Channel,
  counts: ChannelCounts & { unauthorized?: boolean },
  send: (job: ReminderJob) => Promise<Result>,
): Promise<void> {
  const batchSize = deps.batchSize ?? 50;
  const maxBatches = deps.maxBatches ?? 10;
  const concurrency = deps.concurrency ?? 4;
  const provider = channel === "email" ? "Kit" : "OneSignal";
  let stop: "rate_limited" | "unauthorized" | null = null;
  for (let b = 0; b < maxBatches && !stop; b++) {
    const jobs = await deps.db.claimReminders(channel, batchSize);
    counts.claimed += jobs.length;
    const queue = [...jobs];
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (stop) {
          // the provider said stop: the rest go back to pending and are sent by a later run
          const why = stop === "rate_limited" ? "rate limit" : "key refused";
          await deps.db.finishReminder(job.id, false, `not attempted: ${provider} ${why}`);
          counts.failed++;
          continue;
        }
        let result: Result;
        try {
          result = await send(job);
        } catch (err) {
          result = { sent: false, error: err instanceof Error ? err.message : String(err) };
        }
        if (result.sent) {
          await deps.db.finishReminder(job.id, true);
          counts.sent++;
          continue;
        }
        if (result.stop) stop ??= result.stop;
        if (result.final) await deps.db.giveUpReminder(job.id, result.error);
        else await deps.db.finishReminder(job.id, false, result.error);
        counts.failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
    if (jobs.length < batchSize) break;
  }
  counts.rate_limited = stop === "rate_limited";
  if (stop === "unauthorized") {
    counts.unauthorized = true;
    logger(deps.log)(
      `reminder-dispatch: ${provider} refused the app id or REST API key; push reminders wait (check ONESIGNAL_APP_ID and ONESIGNAL_REST_API_KEY)`,
    );
  }
}

export function makeReminderDispatchHandler(deps: ReminderDeps): (req: Request) => Promise<Response> {
  return route(async (req) => {
    requireCronSecret(req, deps.cronSecret);
    const push = deps.push ?? null;
    // say which channels this dispatcher can send on (the reminder job queues only for those)
    await deps.db.senderHeartbeat("email");
    if (push) await deps.db.senderHeartbeat("push");

    // the two channels side by side: a backlog or a rate limit of one does not delay the other
    const email: ChannelCounts = { claimed: 0, sent: 0, failed: 0, rate_limited: false };
    const pushCounts: PushCounts | null = push
      ? { claimed: 0, sent: 0, failed: 0, rate_limited: false, unauthorized: false, devices_forgotten: 0 }
      : null;
    await Promise.all([
      drain(deps, "email", email, (job) => sendEmail(deps, job)),
      push && pushCounts ? drain(deps, "push", pushCounts, (job) => sendPush(deps, push, job, pushCounts)) : null,
    ]);

    const all = [email, ...(pushCounts ? [pushCounts] : [])];
    return json({
      claimed: all.reduce((n, c) => n + c.claimed, 0),
      sent: all.reduce((n, c) => n + c.sent, 0),
      failed: all.reduce((n, c) => n + c.failed, 0),
      rate_limited: all.some((c) => c.rate_limited),
      email,
      push: pushCounts,
    });
  });
}
