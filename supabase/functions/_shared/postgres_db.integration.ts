// The real database port against the real database: PostgresDb (the production code) calling the
// service-role SQL functions of the migrations, and whole handlers (stripe-webhook with real
// Stripe signatures, reminder-dispatch and kit-sync with Kit faked at the fetch boundary) on
// top of it. Not a *_test.ts file: tests/db/test_db_edge_functions.py runs it against the
// throwaway PostgreSQL 15 cluster of the DB suite, passing the connection in CHRIS_PG_* vars.
// Everything it creates is deleted at the end (the cluster is shared with the other DB tests).
import postgres from "postgres";
import { assert, assertEquals } from "./testing/assert.ts";
import { PostgresDb } from "./postgres_db.ts";
import { makeStripeWebhookHandler } from "../stripe-webhook/handler.ts";
import { makeReminderDispatchHandler } from "../reminder-dispatch/handler.ts";
import { makeKitSyncHandler } from "../kit-sync/handler.ts";
import { KitClient } from "./kit.ts";
import { FakeKit, KIT_KEY } from "./testing/fake_kit.ts";
import {
  checkoutCompleted,
  cryptoProvider,
  invoiceEvent,
  signedRequest,
  stripe,
  subscriptionEvent,
  WEBHOOK_SECRET,
} from "./testing/stripe_events.ts";

const opts = {
  host: Deno.env.get("CHRIS_PG_HOST")!,
  port: Number(Deno.env.get("CHRIS_PG_PORT")),
  database: Deno.env.get("CHRIS_PG_DB") ?? "postgres",
  username: Deno.env.get("CHRIS_PG_USER") ?? "postgres",
  prepare: false,
  onnotice: () => {},
};
if (!opts.host || !opts.port) throw new Error("CHRIS_PG_HOST and CHRIS_PG_PORT must point at the test cluster");

const RUN = crypto.randomUUID().slice(0, 8);
const admin = postgres({ ...opts, max: 2 }); // superuser: arranges and inspects, like a pgTAP file
const created: string[] = [];

async function signUp(name: string): Promise<string> {
  const id = crypto.randomUUID();
  await admin`insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, email_confirmed_at)
              values (${id}, 'authenticated', 'authenticated', ${`${name}-${RUN}@test.invalid`},
                      ${admin.json({ full_name: `${name} Tester` })}, '{}'::jsonb, now())`;
  created.push(id);
  return id;
}

async function profile(id: string) {
  const [p] = await admin`select subscription_status, stripe_customer_id, stripe_subscription_id, stripe_price_id,
                                 subscription_current_period_end, subscription_ends_at from public.profiles where id = ${id}`;
  return p;
}

const processedCount = async (prefix: string) =>
  Number(
    (await admin`select count(*) from public.stripe_events_processed where event_id like ${prefix + "%"}`)[0].count,
  );

function withId<T extends Record<string, unknown>>(e: T, id: string): T {
  return { ...e, id };
}

const T0 = Math.floor(Date.now() / 1000) - 3600;

Deno.test({
  name: "postgres: the edge functions against the real service-role functions",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sql = postgres({ ...opts, max: 3 });
    const sql2 = postgres({ ...opts, max: 2 });
    const db = new PostgresDb(sql);
    try {
      await t.step("stripe-webhook: every event type, replay, bad signature and out-of-order, for real", async () => {
        const member = await signUp("stripe");
        const handler = makeStripeWebhookHandler({
          stripe,
          webhookSecret: WEBHOOK_SECRET,
          db,
          cryptoProvider,
          log: () => {},
        });
        const send = async (e: Record<string, unknown>, o: { secret?: string; timestamp?: number } = {}) => {
          const res = await handler(await signedRequest(e, o));
          return { status: res.status, body: await res.json() };
        };
        const p = `evt_${RUN}_a_`;
        const s = { customer: `cus_${RUN}`, userId: member };

        // forged and stale requests: 400 and nothing recorded
        const checkout = withId(checkoutCompleted({ ...s, subscription: `sub_${RUN}` }, T0), `${p}1`);
        assertEquals((await send(checkout, { secret: "whsec_wrong" })).status, 400);
        assertEquals((await send(checkout, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status, 400);
        assertEquals(await processedCount(p), 0);
        assertEquals((await profile(member)).subscription_status, "trial");

        assertEquals((await send(checkout)).body.outcome, "applied");
        let prof = await profile(member);
        assertEquals([prof.subscription_status, prof.stripe_customer_id, prof.stripe_subscription_id], [
          "active",
          `cus_${RUN}`,
          `sub_${RUN}`,
        ]);
        assertEquals((await send(checkout)).body.outcome, "duplicate");

        const end = T0 + 30 * 86400;
        const created = withId(
          subscriptionEvent("customer.subscription.created", {
            ...s,
            id: `sub_${RUN}`,
            status: "active",
            price: "price_real",
            periodEnd: end,
          }, T0 + 1),
          `${p}2`,
        );
        assertEquals((await send(created)).body.outcome, "applied");
        prof = await profile(member);
        assertEquals(prof.stripe_price_id, "price_real");
        assertEquals(new Date(prof.subscription_current_period_end).getTime(), end * 1000);

        const failed = withId(
          invoiceEvent("invoice.payment_failed", { ...s, subscription: `sub_${RUN}` }, T0 + 10),
          `${p}3`,
        );
        assertEquals((await send(failed)).body.outcome, "applied");
        assertEquals((await profile(member)).subscription_status, "past_due");

        const paid = withId(
          invoiceEvent("invoice.paid", { ...s, subscription: `sub_${RUN}`, periodEnd: end + 86400 }, T0 + 20),
          `${p}4`,
        );
        assertEquals((await send(paid)).body.outcome, "applied");
        assertEquals((await profile(member)).subscription_status, "active");

        const updated = withId(
          subscriptionEvent("customer.subscription.updated", { ...s, id: `sub_${RUN}`, status: "past_due" }, T0 + 30),
          `${p}5`,
        );
        assertEquals((await send(updated)).body.outcome, "applied");
        assertEquals((await profile(member)).subscription_status, "past_due");

        // out of order: the deletion (newest) lands, then an older invoice.paid is redelivered late
        const deleted = withId(
          subscriptionEvent("customer.subscription.deleted", { ...s, id: `sub_${RUN}`, status: "canceled" }, T0 + 50),
          `${p}6`,
        );
        const latePaid = withId(invoiceEvent("invoice.paid", { ...s, subscription: `sub_${RUN}` }, T0 + 40), `${p}7`);
        assertEquals((await send(deleted)).body.outcome, "applied");
        assertEquals((await send(latePaid)).body.outcome, "stale");
        prof = await profile(member);
        assertEquals(prof.subscription_status, "cancelled");
        assert(prof.subscription_ends_at !== null);
        assertEquals((await send(deleted)).body.outcome, "duplicate");

        const outcomes = await admin`select event_id, outcome from public.stripe_events_processed
                                      where event_id like ${p + "%"} order by event_id`;
        assertEquals(outcomes.map((r) => r.outcome), [
          "applied",
          "applied",
          "applied",
          "applied",
          "applied",
          "applied",
          "stale",
        ]);
      });

      await t.step(
        "stripe-webhook: a member linked only through a later event still ends right (real SQL)",
        async () => {
          const member = await signUp("order");
          const handler = makeStripeWebhookHandler({
            stripe,
            webhookSecret: WEBHOOK_SECRET,
            db,
            cryptoProvider,
            log: () => {},
          });
          const p = `evt_${RUN}_b_`;
          const s = { customer: `cus_${RUN}_b`, userId: member };
          const events = [
            withId(
              subscriptionEvent(
                "customer.subscription.deleted",
                { ...s, id: `sub_${RUN}_b`, status: "canceled" },
                T0 + 90,
              ),
              `${p}3`,
            ),
            withId(invoiceEvent("invoice.paid", { ...s, subscription: `sub_${RUN}_b` }, T0 + 5), `${p}2`),
            withId(checkoutCompleted({ ...s, subscription: `sub_${RUN}_b` }, T0), `${p}1`),
          ];
          for (const e of events) await handler(await signedRequest(e));
          const prof = await profile(member);
          assertEquals([prof.subscription_status, prof.stripe_customer_id], ["cancelled", `cus_${RUN}_b`]);
        },
      );

      await t.step("billingProfile reads the member's billing state as service_role", async () => {
        const member = await signUp("billing");
        const b = await db.billingProfile(member);
        assertEquals(b, {
          id: member,
          email: `billing-${RUN}@test.invalid`,
          stripeCustomerId: null,
          subscriptionStatus: "trial",
        });
        assertEquals(await db.billingProfile(crypto.randomUUID()), null);
      });

      await t.step("reminder-dispatch: email rows only, SKIP LOCKED between runners, sent through Kit", async () => {
        const a = await signUp("remind-a");
        const b = await signUp("remind-b");
        await admin`insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
                    values (${a}, 'morning_reminder', 'email', current_date, 'chrisapp://open/morning', now() - interval '1 minute'),
                           (${a}, 'morning_reminder', 'push', current_date, 'chrisapp://open/morning', now() - interval '1 minute'),
                           (${b}, 'morning_reminder', 'email', current_date, 'chrisapp://open/morning', now() - interval '1 minute'),
                           (${b}, 'evening_reminder', 'email', current_date, 'chrisapp://open/evening', now() - interval '1 minute')`;
        // runner 1 holds its claim open (uncommitted) while runner 2 claims: no overlap
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let firstClaim: number[] = [];
        const claimedBy1 = new Promise<void>((resolve) => {
          sql2.begin(async (tx) => {
            await tx`set local role service_role`;
            const rows = await tx`select id from public.claim_notifications_for('email', 1)
                                   where user_id in (${a}, ${b})`;
            firstClaim = rows.map((r) => Number(r.id));
            resolve();
            await held;
          });
        });
        await claimedBy1;
        const second = (await db.claimReminders("email", 100)).filter((j) => j.userId === a || j.userId === b);
        release();
        assertEquals(firstClaim.length, 1);
        assertEquals(second.length, 2);
        assert(!second.some((j) => firstClaim.includes(j.id)), "a runner got a reminder another runner holds");
        assertEquals(second.every((j) => j.channel === "email" && j.email?.endsWith(`${RUN}@test.invalid`)), true);
        assertEquals(second[0].memberCode.length >= 3, true);
        // give them back (as if those runners failed) and let the real handler send everything
        for (const j of second) await db.finishReminder(j.id, false, "runner crashed");
        await admin`update public.notification_queue set status = 'pending' where id = any(${firstClaim})`;

        const kit = new FakeKit();
        kit.subscribers.set(`remind-a-${RUN}@test.invalid`, {
          id: 1,
          first_name: "remind-a",
          email_address: `remind-a-${RUN}@test.invalid`,
          state: "active",
          fields: {},
        });
        const handler = makeReminderDispatchHandler({
          db,
          kit: new KitClient(KIT_KEY, kit.fetch),
          cronSecret: "s",
          tags: { morning_reminder: "1", evening_reminder: "2" },
        });
        const res = await handler(new Request("http://x/", { method: "POST", headers: { "x-cron-secret": "s" } }));
        assertEquals(res.status, 200);
        const rows =
          await admin`select channel, status from public.notification_queue where user_id in (${a}, ${b}) order by id`;
        assertEquals(rows.map((r) => `${r.channel}:${r.status}`), [
          "email:sent",
          "push:pending",
          "email:sent",
          "email:sent",
        ]);
        assertEquals(kit.tags.get("1")?.sort(), [`remind-a-${RUN}@test.invalid`, `remind-b-${RUN}@test.invalid`]);
        assertEquals(kit.tags.get("2"), [`remind-b-${RUN}@test.invalid`]);
      });

      await t.step("kit-sync: the sign-up queued a welcome; the weekly job's rows carry the figures", async () => {
        const member = await signUp("kit");
        const [w] = await admin`select kind, status from public.kit_sync_queue where user_id = ${member}`;
        assertEquals([w.kind, w.status], ["welcome", "pending"]);
        await admin`update public.profiles set current_streak = 4, longest_streak = 6, completion_rate = 57.14,
                           average_discipline_rating = 7.5, discipline_score = 33.3 where id = ${member}`;
        await admin`select public.queue_kit_weekly(now())`;
        await admin`select public.queue_kit_weekly(now())`; // a re-run queues nothing twice
        const kit = new FakeKit();
        const handler = makeKitSyncHandler({
          db,
          kit: new KitClient(KIT_KEY, kit.fetch),
          cronSecret: "s",
          memberTagId: "10",
          weeklyTagId: "11",
          batchSize: 500,
        });
        const res = await handler(new Request("http://x/", { method: "POST", headers: { "x-cron-secret": "s" } }));
        assertEquals(res.status, 200);
        const mineRows =
          await admin`select kind, status, attempts from public.kit_sync_queue where user_id = ${member} order by id`;
        assertEquals(mineRows.map((r) => `${r.kind}:${r.status}:${r.attempts}`), ["welcome:sent:1", "weekly:sent:1"]);
        const sub = kit.subscribers.get(`kit-${RUN}@test.invalid`)!;
        const [code] = await admin`select member_code from public.profiles where id = ${member}`;
        assertEquals(sub.first_name, "kit");
        assertEquals(sub.fields, {
          member_number: code.member_code,
          subscription_status: "trial",
          week_number: "1",
          current_streak: "4",
          longest_streak: "6",
          completion_rate: "57.14",
          average_rating: "7.5",
          discipline_score: "33.3",
        });
        assert(kit.tags.get("11")?.includes(`kit-${RUN}@test.invalid`));
      });

      await t.step("AI: quota per member and day (atomic), refund, versions numbered by the database", async () => {
        const member = await signUp("ai");
        assertEquals(await db.consumeAiQuota(member, "suggest_actions", 2), true);
        assertEquals(await db.consumeAiQuota(member, "suggest_actions", 2), true);
        assertEquals(await db.consumeAiQuota(member, "suggest_actions", 2), false);
        await db.refundAiQuota(member, "suggest_actions");
        assertEquals(await db.consumeAiQuota(member, "suggest_actions", 2), true);
        assertEquals(await db.consumeAiQuota(member, "analyze_progress", 2), true);
        // concurrent calls never exceed the limit
        const other = await signUp("ai-race");
        const results = await Promise.all(
          Array.from({ length: 8 }, () => db.consumeAiQuota(other, "generate_affirmations", 3)),
        );
        assertEquals(results.filter(Boolean).length, 3);

        const [v1, v2] = await Promise.all([
          db.saveAffirmations(member, "I act."),
          db.saveAffirmations(member, "I act now."),
        ]);
        assertEquals([v1.version, v2.version].sort(), [1, 2]);
        const active = await admin`select version from public.affirmations where user_id = ${member} and is_active`;
        assertEquals(active.length, 1);

        await admin`insert into public.daily_sessions (user_id, date, morning_completed, violent_action, action_completed,
                                                       evening_completed, discipline_rating, biggest_win)
                    select ${member}, public.protocol_day(now(), p.timezone, p.day_start) - d, true, 'Cold call', d % 2 = 0,
                           true, 7, 'win' from public.profiles p, generate_series(0, 40) d where p.id = ${member}`;
        const sessions = await db.recentSessions(member, 30);
        assertEquals(sessions.length, 30);
        assert(sessions[0].date < sessions[29].date);
        assertEquals(sessions[29].actionCompleted, true);
        const stats = await db.memberStats(member);
        assertEquals(stats?.currentStreak, 41); // the trigger's statistics, read back as service_role
        assertEquals(typeof stats?.today, "string");
      });
    } finally {
      if (created.length) await admin`delete from auth.users where id = any(${created})`;
      await admin`delete from public.stripe_events_processed where event_id like ${`evt_${RUN}_%`}`;
      await sql.end();
      await sql2.end();
      await admin.end();
    }
  },
});
