// The database port over a direct Postgres connection (npm:postgres). In Supabase the functions
// get SUPABASE_DB_URL; every call runs in its own transaction as service_role (`set local role`),
// so the functions have exactly the service role's rights: the grants of the migrations apply,
// and a missing grant fails here as it would through the API.
import postgres from "postgres";
import type {
  AiFeature,
  AuditActor,
  AuditEvent,
  BillingProfile,
  Channel,
  Db,
  DeletedMember,
  KitJob,
  MemberStats,
  RateBucket,
  ReminderJob,
  SessionSummary,
  StripeOutcome,
  StripePrice,
  StripeUpdate,
} from "./db.ts";

type Sql = ReturnType<typeof postgres>;
// deno-lint-ignore no-explicit-any
type Tx = any;

/** A connection pool for SUPABASE_DB_URL (prepare: false so the transaction pooler works too). */
export function connect(url: string): Sql {
  return postgres(url, { prepare: false, max: 3, idle_timeout: 20, connect_timeout: 10 });
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export class PostgresDb implements Db {
  constructor(private readonly sql: Sql) {}

  private asServiceRole<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.sql.begin(async (tx: Tx) => {
      await tx`set local role service_role`;
      return await work(tx);
    }) as Promise<T>;
  }

  applyStripeSubscription(u: StripeUpdate): Promise<StripeOutcome> {
    return this.asServiceRole(async (tx) => {
      const [row] = await tx`
        select public.apply_stripe_subscription(
          ${u.eventId}, ${u.eventType}, ${u.eventCreated.toISOString()}::timestamptz,
          ${u.userId}::uuid, ${u.customerId}, ${u.subscriptionId}, ${u.status}, ${u.priceId},
          ${u.currentPeriodEnd ? u.currentPeriodEnd.toISOString() : null}::timestamptz) as outcome`;
      return row.outcome as StripeOutcome;
    });
  }

  billingProfile(userId: string): Promise<BillingProfile | null> {
    return this.asServiceRole(async (tx) => {
      const [row] = await tx`
        select p.id::text, p.email, p.stripe_customer_id, p.stripe_subscription_id, p.subscription_status
          from public.profiles p where p.id = ${userId}::uuid`;
      return row
        ? {
          id: row.id,
          email: row.email,
          stripeCustomerId: row.stripe_customer_id,
          stripeSubscriptionId: row.stripe_subscription_id,
          subscriptionStatus: row.subscription_status,
        }
        : null;
    });
  }

  deleteMember(userId: string): Promise<DeletedMember> {
    return this.asServiceRole(async (tx) => {
      // Hosted Supabase guards storage.objects with a statement-level trigger
      // (storage.protect_delete) that refuses any SQL delete, even of zero rows, unless this
      // setting is 'true' (the Storage API sets it the same way). delete_member's sweep of the
      // member's leftover rows runs after the files went through the Storage API; transaction-local.
      await tx`select set_config('storage.allow_delete_query', 'true', true)`;
      const [row] = await tx`select public.delete_member(${userId}::uuid) as result`;
      const r = row.result as { deleted: boolean; storage_objects: { bucket: string; name: string }[] };
      return { deleted: r.deleted === true, storageObjects: r.storage_objects ?? [] };
    });
  }

  senderHeartbeat(channel: Channel): Promise<void> {
    return this.asServiceRole(async (tx) => {
      await tx`select public.sender_heartbeat(${channel})`;
    });
  }

  claimReminders(channel: Channel, limit: number): Promise<ReminderJob[]> {
    return this.asServiceRole(async (tx) => {
      const rows = await tx`
        select id, user_id::text, kind, channel, protocol_day::text, deep_link, attempts, email, full_name,
               member_code, coalesce(push_ids, '{}') as push_ids, idempotency_key::text
          from public.claim_notifications_for(${channel}, ${limit})`;
      return rows.map((r: Record<string, unknown>) =>
        ({
          id: Number(r.id),
          userId: r.user_id,
          kind: r.kind,
          channel: r.channel,
          protocolDay: r.protocol_day,
          deepLink: r.deep_link,
          attempts: Number(r.attempts),
          email: r.email,
          fullName: r.full_name,
          memberCode: r.member_code,
          pushIds: r.push_ids as string[],
          idempotencyKey: r.idempotency_key,
        }) as ReminderJob
      );
    });
  }

  finishReminder(id: number, sent: boolean, error: string | null = null): Promise<void> {
    return this.asServiceRole(async (tx) => {
      await tx`select public.finish_notification(${id}, ${sent}, ${error})`;
    });
  }

  // finish_notification retries up to 5 attempts; a reminder with no valid address can never be
  // sent, so fail_notification fails it at once (the same shared finish: only a row still 'sending').
  giveUpReminder(id: number, error: string): Promise<void> {
    return this.asServiceRole(async (tx) => {
      await tx`select public.fail_notification(${id}, ${error})`;
    });
  }

  forgetPushDevices(userId: string, subscriptionIds: string[]): Promise<number> {
    return this.asServiceRole(async (tx) => {
      const [row] = await tx`select public.forget_push_devices(${userId}::uuid, ${subscriptionIds}::text[]) as n`;
      return Number(row.n);
    });
  }

  claimKitSync(limit: number): Promise<KitJob[]> {
    return this.asServiceRole(async (tx) => {
      const rows = await tx`select *, user_id::text as user_id from public.claim_kit_sync(${limit})`;
      return rows.map((r: Record<string, unknown>) => ({
        id: Number(r.id),
        userId: r.user_id as string,
        kind: r.kind as KitJob["kind"],
        attempts: Number(r.attempts),
        email: r.email as string | null,
        fullName: r.full_name as string | null,
        memberNumber: Number(r.member_number),
        memberCode: r.member_code as string,
        subscriptionStatus: r.subscription_status as KitJob["subscriptionStatus"],
        weeklyEmail: Boolean(r.weekly_email),
        weekNumber: Number(r.week_number),
        currentStreak: num(r.current_streak),
        longestStreak: num(r.longest_streak),
        completionRate: num(r.completion_rate),
        averageDisciplineRating: num(r.average_discipline_rating),
        disciplineScore: num(r.discipline_score),
      }));
    });
  }

  finishKitSync(id: number, ok: boolean, error: string | null = null): Promise<void> {
    return this.asServiceRole(async (tx) => {
      await tx`select public.finish_kit_sync(${id}, ${ok}, ${error})`;
    });
  }

  consumeAiQuota(userId: string, feature: AiFeature, dailyLimit: number): Promise<boolean> {
    return this.asServiceRole(async (tx) => {
      const [row] = await tx`select public.consume_ai_quota(${userId}::uuid, ${feature}, ${dailyLimit}) as ok`;
      return row.ok === true;
    });
  }

  refundAiQuota(userId: string, feature: AiFeature): Promise<void> {
    return this.asServiceRole(async (tx) => {
      await tx`select public.refund_ai_quota(${userId}::uuid, ${feature})`;
    });
  }

  saveAffirmations(userId: string, content: string): Promise<{ id: string; version: number }> {
    return this.asServiceRole(async (tx) => {
      const [row] = await tx`
        insert into public.affirmations (user_id, content, is_active, client_updated_at)
        values (${userId}::uuid, ${content}, true, now())  -- saved now: the latest version wins in sync
        returning id::text, version`;
      return { id: row.id, version: Number(row.version) };
    });
  }

  recentSessions(userId: string, days: number): Promise<SessionSummary[]> {
    return this.asServiceRole(async (tx) => {
      const rows = await tx`
        select s.date::text, s.morning_completed, s.violent_action, s.action_completed,
               s.evening_completed, s.discipline_rating, s.biggest_win
          from public.profiles p
          join public.daily_sessions s on s.user_id = p.id
         where p.id = ${userId}::uuid
           and s.date > public.protocol_day(now(), p.timezone, p.day_start) - ${days}::int
         order by s.date`;
      return rows.map((r: Record<string, unknown>) => ({
        date: r.date as string,
        morningCompleted: Boolean(r.morning_completed),
        violentAction: r.violent_action as string | null,
        actionCompleted: r.action_completed as boolean | null,
        eveningCompleted: Boolean(r.evening_completed),
        disciplineRating: r.discipline_rating === null ? null : Number(r.discipline_rating),
        biggestWin: r.biggest_win as string | null,
      }));
    });
  }

  memberStats(userId: string): Promise<MemberStats | null> {
    return this.asServiceRole(async (tx) => {
      const [r] = await tx`
        select p.current_streak, p.longest_streak, p.total_days_completed, p.completion_rate,
               p.average_discipline_rating, p.discipline_score,
               public.protocol_day(now(), p.timezone, p.day_start)::text as today
          from public.profiles p where p.id = ${userId}::uuid`;
      return r
        ? {
          currentStreak: num(r.current_streak),
          longestStreak: num(r.longest_streak),
          totalDaysCompleted: num(r.total_days_completed),
          completionRate: num(r.completion_rate),
          averageDisciplineRating: num(r.average_discipline_rating),
          disciplineScore: num(r.discipline_score),
          today: r.today,
        }
        : null;
    });
  }

  takeRateToken(userId: string, bucket: RateBucket): Promise<number> {
    return this.asServiceRole(async (tx) => {
      const [row] = await tx`select public.take_rate_token(${userId}::uuid, ${bucket}) as wait`;
      return Number(row.wait);
    });
  }

  recordAudit(
    userId: string,
    event: AuditEvent,
    actor: AuditActor,
    detail: Record<string, unknown> = {},
  ): Promise<number> {
    return this.asServiceRole(async (tx) => {
      const [row] = await tx`
        select public.record_audit(${userId}::uuid, ${event}, ${actor}, ${tx.json(detail)}::jsonb) as id`;
      return Number(row.id);
    });
  }

  recordStripePrice(p: StripePrice): Promise<void> {
    return this.asServiceRole(async (tx) => {
      await tx`select public.record_stripe_price(${p.priceId}, ${p.unitAmount}::bigint, ${p.currency},
                                                 ${p.interval}, ${p.intervalCount}::int)`;
    });
  }

  exportMember(userId: string): Promise<Record<string, unknown> | null> {
    return this.asServiceRole(async (tx) => {
      // export_member checks auth.role(), which reads the JWT claims PostgREST would set for the
      // service key; a bare `set local role` leaves them empty (and the call refused).
      await tx`select set_config('request.jwt.claims', '{"role":"service_role"}', true)`;
      const [row] = await tx`select public.export_member(${userId}::uuid) as data`;
      const data = row.data as Record<string, unknown> | null;
      return data && data.profile ? data : null;
    });
  }
}
