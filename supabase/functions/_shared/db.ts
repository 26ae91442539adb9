// The database port: everything the functions read or write, as service_role, through the
// service-role SQL functions of supabase/migrations (docs/backend.md). Implemented for real by
// postgres_db.ts; tests of the handlers use testing/memory_db.ts.

export type SubscriptionStatus = "trial" | "active" | "past_due" | "cancelled";
export type StripeOutcome = "applied" | "duplicate" | "stale" | "unknown_member";

/** The arguments of public.apply_stripe_subscription (null = leave as is). */
export interface StripeUpdate {
  eventId: string;
  eventType: string;
  eventCreated: Date;
  userId: string | null;
  customerId: string | null;
  subscriptionId: string | null;
  status: Exclude<SubscriptionStatus, "trial"> | null;
  priceId: string | null;
  currentPeriodEnd: Date | null;
}

export interface BillingProfile {
  id: string;
  email: string | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  subscriptionStatus: SubscriptionStatus;
}

/** What public.delete_member reports. */
export interface DeletedMember {
  deleted: boolean; // false when there was no such member (already deleted)
  storageObjects: { bucket: string; name: string }[]; // storage rows the Storage API had left
}

export type Channel = "email" | "push";

/** A claimed row of notification_queue with the member's addresses (public.claim_notifications_for). */
export interface ReminderJob {
  id: number;
  userId: string;
  kind: "morning_reminder" | "evening_reminder";
  channel: Channel;
  protocolDay: string;
  deepLink: string;
  attempts: number; // this claim included
  email: string | null;
  fullName: string | null;
  memberCode: string;
  /** The member's registered OneSignal push subscription ids (public.push_devices); empty for email rows. */
  pushIds: string[];
  /** A uuid of the row, the same on every retry: the push provider sends once per key. */
  idempotencyKey: string;
}

/** A claimed row of kit_sync_queue with the member's current figures. */
export interface KitJob {
  id: number;
  userId: string;
  kind: "welcome" | "weekly";
  attempts: number;
  email: string | null;
  fullName: string | null;
  memberNumber: number;
  memberCode: string;
  subscriptionStatus: SubscriptionStatus;
  weeklyEmail: boolean;
  weekNumber: number;
  currentStreak: number;
  longestStreak: number;
  completionRate: number;
  averageDisciplineRating: number;
  disciplineScore: number;
}

export type AiFeature = "generate_affirmations" | "suggest_actions" | "analyze_progress" | "transcribe_reading";

/** One protocol day of a member, as the AI functions see it. */
export interface SessionSummary {
  date: string;
  morningCompleted: boolean;
  violentAction: string | null;
  actionCompleted: boolean | null;
  eveningCompleted: boolean;
  disciplineRating: number | null;
  biggestWin: string | null;
}

export interface MemberStats {
  currentStreak: number;
  longestStreak: number;
  totalDaysCompleted: number;
  completionRate: number;
  averageDisciplineRating: number;
  disciplineScore: number;
  today: string; // the member's protocol day now
}

/** A Stripe price as public.record_stripe_price stores it (operator_metrics' MRR reads these). */
export interface StripePrice {
  priceId: string;
  unitAmount: number; // in the currency's smallest unit (cents)
  currency: string; // lowercase ISO code, as Stripe sends it
  interval: "day" | "week" | "month" | "year" | null; // null: not a recurring price
  intervalCount: number;
}

/** Per-member request buckets of private.rate_limit_config. */
export type RateBucket = "functions" | "sync";

export type AuditEvent =
  | "export_created"
  | "export_downloaded"
  | "account_deleted"
  | "support_access"
  | "sessions_revoked";
export type AuditActor = "member" | "support" | "system";

export interface Db {
  applyStripeSubscription(update: StripeUpdate): Promise<StripeOutcome>;
  billingProfile(userId: string): Promise<BillingProfile | null>;
  /** public.delete_member: the member's leftover storage rows, then the auth user (cascading to every table). */
  deleteMember(userId: string): Promise<DeletedMember>;

  /** public.sender_heartbeat: this dispatcher can send on `channel` (the reminder job queues for live senders only). */
  senderHeartbeat(channel: Channel): Promise<void>;
  claimReminders(channel: Channel, limit: number): Promise<ReminderJob[]>;
  /** public.finish_notification: sent, or back to pending for a retry (failed after 5 attempts). */
  finishReminder(id: number, sent: boolean, error?: string | null): Promise<void>;
  /** A claimed reminder that can never be sent (no valid address): failed now, without the retries. */
  giveUpReminder(id: number, error: string): Promise<void>;
  /** public.forget_push_devices: removes the member's registrations the provider called invalid; how many went. */
  forgetPushDevices(userId: string, subscriptionIds: string[]): Promise<number>;

  claimKitSync(limit: number): Promise<KitJob[]>;
  finishKitSync(id: number, ok: boolean, error?: string | null): Promise<void>;

  consumeAiQuota(userId: string, feature: AiFeature, dailyLimit: number): Promise<boolean>;
  refundAiQuota(userId: string, feature: AiFeature): Promise<void>;
  /** Inserts a new affirmations version (the database numbers it and makes it active). */
  saveAffirmations(userId: string, content: string): Promise<{ id: string; version: number }>;
  /** The member's sessions of the last `days` protocol days (today included), oldest first. */
  recentSessions(userId: string, days: number): Promise<SessionSummary[]>;
  memberStats(userId: string): Promise<MemberStats | null>;

  /** public.take_rate_token: 0 when the request may go on (a token taken), else the seconds until one is free. */
  takeRateToken(userId: string, bucket: RateBucket): Promise<number>;
  /** public.record_audit: one row of the member's audit log; its id. */
  recordAudit(userId: string, event: AuditEvent, actor: AuditActor, detail?: Record<string, unknown>): Promise<number>;
  /** public.record_stripe_price: insert or refresh a price (Stripe prices never change amount or interval). */
  recordStripePrice(price: StripePrice): Promise<void>;
  /** public.export_member: all of a member's rows as one JSON object (null when there is no such member). */
  exportMember(userId: string): Promise<Record<string, unknown> | null>;
}
