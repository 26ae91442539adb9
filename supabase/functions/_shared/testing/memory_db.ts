// An in-memory Db for the handlers' unit tests. It mirrors the documented behaviour of the
// service-role SQL functions (idempotency on the event id, stale events, retry cap, quota);
// tests/db/test_db_edge_functions.py runs the real PostgresDb against the real functions.
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
  SubscriptionStatus,
} from "../db.ts";

export interface FakeProfile {
  id: string;
  email: string | null;
  fullName: string | null;
  memberNumber: number;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  stripePriceId: string | null;
  subscriptionStatus: SubscriptionStatus;
  subscriptionCurrentPeriodEnd: Date | null;
  subscriptionEventAt: Date | null;
}

interface Row {
  status: "pending" | "sending" | "sent" | "failed";
  attempts: number;
  lastError: string | null;
}

/** A queued reminder: the claim adds the member's push subscription ids (from pushDevices). */
export type QueuedReminder = Omit<ReminderJob, "pushIds"> & Row;

export interface FakePushDevice {
  userId: string;
  subscriptionId: string;
  platform: "android" | "ios";
}

export class MemoryDb implements Db {
  profiles = new Map<string, FakeProfile>();
  processed = new Map<string, StripeOutcome>();
  writes = 0; // calls that changed something
  reminders: QueuedReminder[] = [];
  pushDevices: FakePushDevice[] = [];
  heartbeats: Channel[] = []; // sender_heartbeat calls, in order
  kitJobs: (KitJob & Row)[] = [];
  quota = new Map<string, number>();
  affirmations: { id: string; userId: string; version: number; content: string; isActive: boolean }[] = [];
  sessions = new Map<string, SessionSummary[]>();
  stats = new Map<string, MemberStats>();
  failNext: Error | null = null;
  /** Rows of public.vision_boards (the board's tiles), for the export. */
  tiles: { id: string; userId: string; position: number; imagePath: string; caption: string | null }[] = [];
  /** Recording metadata of daily_sessions rows, for the export. */
  recordings: { userId: string; date: string; recordingPath: string; durationMs: number }[] = [];
  /** Token buckets like private.take_rate_token: capacity = per minute, refilled continuously. */
  rateConfig = new Map<RateBucket, number>([["functions", 100], ["sync", 100]]);
  rateBuckets = new Map<string, { tokens: number; at: number }>();
  rateTaken: { userId: string; bucket: RateBucket }[] = [];
  clock: () => number = () => Date.now();
  audit: { id: number; userId: string; event: AuditEvent; actor: AuditActor; detail: Record<string, unknown> }[] = [];
  prices = new Map<string, StripePrice>();

  addMember(id: string, email: string, extra: Partial<FakeProfile> = {}): FakeProfile {
    const p: FakeProfile = {
      id,
      email,
      fullName: null,
      memberNumber: this.profiles.size + 1,
      stripeCustomerId: null,
      stripeSubscriptionId: null,
      stripePriceId: null,
      subscriptionStatus: "trial",
      subscriptionCurrentPeriodEnd: null,
      subscriptionEventAt: null,
      ...extra,
    };
    this.profiles.set(id, p);
    return p;
  }

  private maybeFail() {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
  }

  async applyStripeSubscription(u: StripeUpdate): Promise<StripeOutcome> {
    this.maybeFail();
    if (this.processed.has(u.eventId)) return "duplicate";
    this.writes++;
    const p = u.userId
      ? this.profiles.get(u.userId)
      : [...this.profiles.values()].find((x) => x.stripeCustomerId !== null && x.stripeCustomerId === u.customerId);
    let outcome: StripeOutcome;
    if (!p) outcome = "unknown_member";
    else if (p.subscriptionEventAt && u.eventCreated < p.subscriptionEventAt) {
      p.stripeCustomerId ??= u.customerId;
      outcome = "stale";
    } else {
      p.stripeCustomerId = u.customerId ?? p.stripeCustomerId;
      p.stripeSubscriptionId = u.subscriptionId ?? p.stripeSubscriptionId;
      p.stripePriceId = u.priceId ?? p.stripePriceId;
      p.subscriptionCurrentPeriodEnd = u.currentPeriodEnd ?? p.subscriptionCurrentPeriodEnd;
      p.subscriptionStatus = u.status ?? p.subscriptionStatus;
      p.subscriptionEventAt = u.eventCreated;
      outcome = "applied";
    }
    this.processed.set(u.eventId, outcome);
    return await Promise.resolve(outcome);
  }

  async billingProfile(userId: string): Promise<BillingProfile | null> {
    this.maybeFail();
    const p = this.profiles.get(userId);
    return await Promise.resolve(
      p
        ? {
          id: p.id,
          email: p.email,
          stripeCustomerId: p.stripeCustomerId,
          stripeSubscriptionId: p.stripeSubscriptionId,
          subscriptionStatus: p.subscriptionStatus,
        }
        : null,
    );
  }

  deletedMembers: string[] = [];

  /** Like delete_member: the member and everything of theirs goes (no storage rows here). */
  async deleteMember(userId: string): Promise<DeletedMember> {
    this.maybeFail();
    const existed = this.profiles.delete(userId);
    if (existed) {
      this.writes++;
      this.deletedMembers.push(userId);
    }
    this.affirmations = this.affirmations.filter((a) => a.userId !== userId);
    this.sessions.delete(userId);
    this.stats.delete(userId);
    this.reminders = this.reminders.filter((r) => r.userId !== userId);
    this.pushDevices = this.pushDevices.filter((d) => d.userId !== userId);
    this.kitJobs = this.kitJobs.filter((k) => k.userId !== userId);
    this.tiles = this.tiles.filter((t) => t.userId !== userId);
    this.recordings = this.recordings.filter((r) => r.userId !== userId);
    for (const key of [...this.quota.keys()]) if (key.startsWith(`${userId}/`)) this.quota.delete(key);
    return await Promise.resolve({ deleted: existed, storageObjects: [] });
  }

  async senderHeartbeat(channel: Channel): Promise<void> {
    this.maybeFail();
    this.heartbeats.push(channel);
    await Promise.resolve();
  }

  /** Like claim_notifications_for: push rows carry the member's registered subscription ids. */
  async claimReminders(channel: Channel, limit: number): Promise<ReminderJob[]> {
    this.maybeFail();
    const due = this.reminders.filter((r) => r.channel === channel && r.status === "pending").slice(0, limit);
    for (const r of due) {
      r.status = "sending";
      r.attempts++;
    }
    const pushIds = (r: QueuedReminder) =>
      r.channel === "push"
        ? this.pushDevices.filter((d) => d.userId === r.userId).map((d) => d.subscriptionId).sort()
        : [];
    return await Promise.resolve(due.map((r) => ({ ...r, pushIds: pushIds(r) })));
  }

  async giveUpReminder(id: number, error: string): Promise<void> {
    const r = this.reminders.find((x) => x.id === id && x.status === "sending");
    if (!r) return;
    r.status = "failed";
    r.lastError = error;
    await Promise.resolve();
  }

  /** Like forget_push_devices: the member's registrations among `subscriptionIds`; how many went. */
  async forgetPushDevices(userId: string, subscriptionIds: string[]): Promise<number> {
    this.maybeFail();
    const before = this.pushDevices.length;
    this.pushDevices = this.pushDevices.filter((d) =>
      !(d.userId === userId && subscriptionIds.includes(d.subscriptionId))
    );
    return await Promise.resolve(before - this.pushDevices.length);
  }

  async finishReminder(id: number, sent: boolean, error: string | null = null): Promise<void> {
    const r = this.reminders.find((x) => x.id === id && x.status === "sending");
    if (!r) return;
    r.status = sent ? "sent" : r.attempts >= 5 ? "failed" : "pending";
    r.lastError = sent ? null : error;
    await Promise.resolve();
  }

  async claimKitSync(limit: number): Promise<KitJob[]> {
    this.maybeFail();
    const due = this.kitJobs.filter((r) => r.status === "pending").slice(0, limit);
    for (const r of due) {
      r.status = "sending";
      r.attempts++;
    }
    return await Promise.resolve(due.map((r) => ({ ...r })));
  }

  async finishKitSync(id: number, ok: boolean, error: string | null = null): Promise<void> {
    const r = this.kitJobs.find((x) => x.id === id && x.status === "sending");
    if (!r) return;
    r.status = ok ? "sent" : r.attempts >= 5 ? "failed" : "pending";
    r.lastError = ok ? null : error;
    await Promise.resolve();
  }

  async consumeAiQuota(userId: string, feature: AiFeature, dailyLimit: number): Promise<boolean> {
    this.maybeFail();
    const key = `${userId}/${feature}`;
    const used = this.quota.get(key) ?? 0;
    if (dailyLimit <= 0 || used >= dailyLimit || !this.profiles.has(userId)) return false;
    this.quota.set(key, used + 1);
    return await Promise.resolve(true);
  }

  async refundAiQuota(userId: string, feature: AiFeature): Promise<void> {
    const key = `${userId}/${feature}`;
    this.quota.set(key, Math.max(0, (this.quota.get(key) ?? 0) - 1));
    await Promise.resolve();
  }

  async saveAffirmations(userId: string, content: string): Promise<{ id: string; version: number }> {
    this.maybeFail();
    const mine = this.affirmations.filter((a) => a.userId === userId);
    for (const a of mine) a.isActive = false;
    const row = { id: crypto.randomUUID(), userId, version: mine.length + 1, content, isActive: true };
    this.affirmations.push(row);
    return await Promise.resolve({ id: row.id, version: row.version });
  }

  async recentSessions(userId: string, _days: number): Promise<SessionSummary[]> {
    this.maybeFail();
    return await Promise.resolve(this.sessions.get(userId) ?? []);
  }

  async memberStats(userId: string): Promise<MemberStats | null> {
    return await Promise.resolve(this.stats.get(userId) ?? null);
  }

  async takeRateToken(userId: string, bucket: RateBucket): Promise<number> {
    this.maybeFail();
    const perMinute = this.rateConfig.get(bucket);
    if (perMinute === undefined) throw new Error(`unknown rate bucket ${bucket}`);
    const now = this.clock();
    const key = `${userId}/${bucket}`;
    const b = this.rateBuckets.get(key) ?? { tokens: perMinute, at: now };
    const tokens = Math.min(perMinute, b.tokens + ((now - b.at) / 60_000) * perMinute);
    if (tokens >= 1) {
      this.rateBuckets.set(key, { tokens: tokens - 1, at: now });
      this.rateTaken.push({ userId, bucket });
      return await Promise.resolve(0);
    }
    this.rateBuckets.set(key, { tokens, at: now });
    return await Promise.resolve(((1 - tokens) * 60) / perMinute);
  }

  async recordAudit(
    userId: string,
    event: AuditEvent,
    actor: AuditActor,
    detail: Record<string, unknown> = {},
  ): Promise<number> {
    this.maybeFail();
    const id = this.audit.length + 1;
    this.audit.push({ id, userId, event, actor, detail });
    return await Promise.resolve(id);
  }

  async recordStripePrice(price: StripePrice): Promise<void> {
    this.maybeFail();
    this.prices.set(price.priceId, { ...price });
    await Promise.resolve();
  }

  /** Like export_member: the member's rows in its JSON shape (the fields this fake keeps). */
  async exportMember(userId: string): Promise<Record<string, unknown> | null> {
    this.maybeFail();
    const p = this.profiles.get(userId);
    if (!p) return null;
    return await Promise.resolve({
      format: "chris-disciplined-export/1",
      exported_at: new Date(this.clock()).toISOString(),
      profile: {
        id: p.id,
        email: p.email,
        full_name: p.fullName,
        member_number: p.memberNumber,
        subscription_status: p.subscriptionStatus,
      },
      settings: { id: p.id },
      daily_sessions: (this.sessions.get(userId) ?? []).map((s) => {
        const rec = this.recordings.find((r) => r.userId === userId && r.date === s.date);
        return {
          user_id: userId,
          date: s.date,
          morning_completed: s.morningCompleted,
          violent_action: s.violentAction,
          biggest_win: s.biggestWin,
          recording_path: rec?.recordingPath ?? null,
          recording_duration_ms: rec?.durationMs ?? null,
        };
      }),
      affirmations: this.affirmations.filter((a) => a.userId === userId).map((a) => ({
        id: a.id,
        user_id: userId,
        version: a.version,
        content: a.content,
        is_active: a.isActive,
      })),
      vision_boards: this.tiles.filter((t) => t.userId === userId).map((t) => ({
        id: t.id,
        user_id: userId,
        position: t.position,
        image_path: t.imagePath,
        caption: t.caption,
      })),
      devices: [],
      ai_usage: [],
      files: [],
    });
  }
}
