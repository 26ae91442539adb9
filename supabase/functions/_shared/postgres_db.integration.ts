// The real database port against the real database: PostgresDb (the production code) calling the
// service-role SQL functions of the migrations, and whole handlers (stripe-webhook with real
// Stripe signatures, reminder-dispatch and kit-sync with Kit and OneSignal faked at the fetch
// boundary) on top of it. Not a *_test.ts file: tests/db/test_db_edge_functions.py runs it against the
// throwaway PostgreSQL 15 cluster of the DB suite, passing the connection in CHRIS_PG_* vars.
// Everything it creates is deleted at the end (the cluster is shared with the other DB tests).
import postgres from "postgres";
import { assert, assertEquals } from "./testing/assert.ts";
import { PostgresDb } from "./postgres_db.ts";
import { makeStripeWebhookHandler } from "../stripe-webhook/handler.ts";
import { makeReminderDispatchHandler } from "../reminder-dispatch/handler.ts";
import { makeKitSyncHandler } from "../kit-sync/handler.ts";
import { makeDeleteAccountHandler } from "../delete-account/handler.ts";
import { makeExportDataHandler } from "../export-data/handler.ts";
import { strFromU8, unzipSync } from "fflate";
import { StorageAdmin } from "./storage.ts";
import { FakeStorage, SERVICE_ROLE_KEY } from "./testing/fake_storage.ts";
import { ANON_KEY, fakeSupabaseAuth, jsonResponse, SUPABASE_URL } from "./testing/fake_fetch.ts";
import { supabaseAuthenticator } from "./auth.ts";
import { makeStripe } from "./stripe.ts";
import { KitClient } from "./kit.ts";
import { FakeKit, KIT_KEY } from "./testing/fake_kit.ts";
import { OneSignalClient } from "./onesignal.ts";
import { FakeOneSignal, ONESIGNAL_APP_ID, ONESIGNAL_KEY } from "./testing/fake_onesignal.ts";
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
    // reminder-dispatch heartbeats its senders (committed): put the other tests' state back after
    const senders = await admin`select channel, seen_at from private.reminder_senders`;
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
          stripeSubscriptionId: null,
          subscriptionStatus: "trial",
        });
        assertEquals(await db.billingProfile(crypto.randomUUID()), null);
      });

      await t.step("delete-account: files, subscription, then every row of the member really gone", async () => {
        const member = await signUp("delete");
        const other = await signUp("keep");
        const both = [member, other];
        for (const id of both) {
          await admin`insert into public.daily_sessions (user_id, date, morning_completed, discipline_rating)
                      values (${id}, current_date - 1, true, 8)`;
          await admin`insert into public.affirmations (user_id, content) values (${id}, 'I finish what I start.')`;
          await admin`insert into public.vision_boards (user_id, position, image_path) values (${id}, 1, ${
            id + "/1.jpg"
          })`;
          await admin`insert into public.last_seen (user_id, client_id) values (${id}, gen_random_uuid())`;
          await admin`insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
                      values (${id}, 'morning_reminder', 'push', current_date, 'chrisapp://open/morning', now())`;
          await db.consumeAiQuota(id, "suggest_actions", 5);
        }
        // a row the Storage API "missed" (delete_member sweeps it) and another member's file
        await admin`insert into storage.objects (bucket_id, name)
                    values ('recordings', ${member + "/late-upload.ogg"}), ('recordings', ${other + "/keep.ogg"})`;
        await admin`update public.profiles set stripe_customer_id = ${`cus_${RUN}_del`},
                           stripe_subscription_id = ${`sub_${RUN}_del`}, subscription_status = 'active'
                     where id = ${member}`;
        const rowsOf = async (id: string) =>
          Number(
            (await admin`
            select count(*) from (
              select user_id from public.daily_sessions union all select user_id from public.affirmations
              union all select user_id from public.vision_boards union all select user_id from public.ai_usage
              union all select user_id from public.last_seen union all select user_id from public.sync_ops
              union all select user_id from public.notification_queue union all select user_id from public.leaderboard
              union all select user_id from public.kit_sync_queue
              union all select user_id from private.completion_runs union all select user_id from private.member_stats_state
              union all select id from public.profiles union all select id from public.user_settings
              union all select id from auth.users
              union all select ${id}::uuid from storage.objects
                         where bucket_id in ('recordings', 'vision-boards', 'exports')
                           and (storage.foldername(name))[1] = ${id}) t
             where t.user_id = ${id}`)[0].count,
          );
        const before = await rowsOf(member);
        assert(before >= 12, `only ${before} rows arranged`);

        // Supabase's guard on storage.objects (hosted projects): any SQL delete, even of zero rows,
        // is refused unless storage.allow_delete_query = 'true'. Installed for this step only.
        await admin`create or replace function storage.protect_delete() returns trigger language plpgsql as $$
                    begin
                      if coalesce(current_setting('storage.allow_delete_query', true), 'false') != 'true' then
                        raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
                          using errcode = '42501';
                      end if;
                      return null;
                    end $$`;
        await admin`create trigger protect_objects_delete before delete on storage.objects
                    for each statement execute function storage.protect_delete()`;
        try {
          // the bare function call is refused by the guard: the port's setting is what makes it work
          let refused = "";
          await sql.begin(async (tx) => {
            await tx`set local role service_role`;
            await tx`select public.delete_member(${member}::uuid)`;
          }).catch((e) => (refused = e.code));
          assertEquals(refused, "42501");

          const net = new FakeStorage().add("recordings", `${member}/a.ogg`, `${member}/2026-11/b.ogg`)
            .add("vision-boards", `${member}/1.jpg`).add("exports").net;
          fakeSupabaseAuth(net, { "delete-token": { id: member, email: `delete-${RUN}@test.invalid` } });
          net.on(
            "DELETE",
            /^https:\/\/api\.stripe\.com\/v1\/subscriptions\//,
            (req) =>
              jsonResponse({ id: req.url.pathname.split("/").pop(), object: "subscription", status: "canceled" }),
          );
          let storageUp = false;
          net.on(
            "POST",
            /\/storage\/v1\/object\/list\/exports$/,
            () =>
              storageUp
                ? jsonResponse([])
                : jsonResponse({ statusCode: "500", error: "internal", message: "down" }, 500),
          );
          const handler = makeDeleteAccountHandler({
            stripe: makeStripe("sk_test_del", net.fetch),
            db,
            storage: new StorageAdmin(SUPABASE_URL, SERVICE_ROLE_KEY, net.fetch),
            authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
            log: () => {},
          });
          const request = () =>
            new Request("http://x/delete-account", {
              method: "POST",
              headers: { Authorization: "Bearer delete-token" },
              body: JSON.stringify({ confirm: "DELETE" }),
            });

          // storage down: 502, no Stripe call, every database row still there
          const failed = await handler(request());
          assertEquals(failed.status, 502);
          assertEquals((await failed.json()).error.code, "storage_unavailable");
          assertEquals(net.to(/api\.stripe\.com/).length, 0);
          assertEquals(await rowsOf(member), before);

          storageUp = true;
          const res = await handler(request());
          assertEquals(res.status, 200);
          assertEquals(await res.json(), { deleted: true });
          assertEquals(net.to(/api\.stripe\.com/).map((r) => `${r.method} ${r.url.pathname}`), [
            `DELETE /v1/subscriptions/sub_${RUN}_del`,
          ]);
          assertEquals(await rowsOf(member), 0);
          assert((await rowsOf(other)) >= 12, "another member's rows went too");
          assertEquals(await db.billingProfile(member), null);
        } finally {
          await admin`drop trigger if exists protect_objects_delete on storage.objects`;
          await admin`drop function if exists storage.protect_delete()`;
          await admin`delete from storage.objects where (storage.foldername(name))[1] = any(${both})`;
        }
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

      await t.step("reminder-dispatch: push through OneSignal, for real rows, devices and locks", async () => {
        // phones registered the way the app registers them: register_push_device as the member
        const register = (member: string, subscriptionId: string, platform: "android" | "ios" = "android") =>
          sql.begin(async (tx) => {
            await tx`select set_config('request.jwt.claims', ${
              JSON.stringify({ sub: member, role: "authenticated" })
            }, true)`;
            await tx`set local role authenticated`;
            await tx`select public.register_push_device(${subscriptionId}, ${platform})`;
          });
        const devicesOf = async (member: string) =>
          (await admin`select subscription_id from public.push_devices where user_id = ${member} order by 1`)
            .map((r) => r.subscription_id as string);
        const queuePush = async (
          member: string,
          kind: "morning_reminder" | "evening_reminder" = "morning_reminder",
        ) => {
          const link = kind === "morning_reminder" ? "chrisapp://open/morning" : "chrisapp://open/evening";
          // 30 minutes due: claimed before rows other steps leave behind (claims go oldest first)
          const [row] = await admin`
            insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
            values (${member}, ${kind}, 'push', current_date, ${link}, now() - interval '30 minutes')
            returning id, idempotency_key::text`;
          return { id: Number(row.id), key: row.idempotency_key as string };
        };
        const statusOf = async (id: number) =>
          (await admin`select status, attempts, last_error from public.notification_queue where id = ${id}`)[0];

        const onesignal = new FakeOneSignal();
        new FakeKit(onesignal.net); // Kit on the same network, for email rows other steps leave due
        const dispatcher = (pool: typeof sql, batchSize = 50) =>
          makeReminderDispatchHandler({
            db: new PostgresDb(pool),
            kit: new KitClient(KIT_KEY, onesignal.net.fetch),
            push: new OneSignalClient(ONESIGNAL_APP_ID, ONESIGNAL_KEY, onesignal.net.fetch),
            cronSecret: "s",
            tags: { morning_reminder: "1", evening_reminder: "2" },
            batchSize,
            log: () => {},
          });
        const dispatch = async (handler: (r: Request) => Promise<Response>) => {
          const res = await handler(new Request("http://x/", { method: "POST", headers: { "x-cron-secret": "s" } }));
          assertEquals(res.status, 200);
          return await res.json();
        };
        const requestsFor = (key: string) =>
          onesignal.net.to(/api\.onesignal\.com/).filter((q) => JSON.parse(q.body).idempotency_key === key);

        // 1. one member, two phones: one OneSignal knows, one it dropped (the app was uninstalled)
        const a = await signUp("push-a");
        const good = `${RUN}-a-good`, gone = `${RUN}-a-gone`;
        await register(a, good);
        await register(a, gone, "ios");
        onesignal.subscribe(good);
        // 2. a member whose only phone OneSignal does not know
        const b = await signUp("push-b");
        await register(b, `${RUN}-b-gone`);
        const rowA = await queuePush(a);
        const rowB = await queuePush(b, "evening_reminder");

        await admin`delete from private.reminder_senders`;
        const body = await dispatch(dispatcher(sql));
        const senders = await admin`select channel from private.reminder_senders
                                     where seen_at > now() - interval '1 minute' order by channel`;
        assertEquals(senders.map((r) => r.channel), ["email", "push"]); // both heartbeats, for real
        assert(body.push.claimed >= 2 && body.push.sent >= 1, JSON.stringify(body));

        // claimed once, sent once, marked sent; the dropped registration is gone, the other kept
        assertEquals(await statusOf(rowA.id), { status: "sent", attempts: 1, last_error: null });
        const [reqA, ...againA] = requestsFor(rowA.key);
        assertEquals(againA.length, 0);
        const sentA = JSON.parse(reqA.body);
        assertEquals(sentA.include_subscription_ids, [gone, good].sort());
        assertEquals([sentA.data.route, sentA.headings.en], ["/morning", "Morning protocol"]);
        assertEquals(onesignal.notifications.filter((n) => n.idempotencyKey === rowA.key).length, 1);
        assertEquals(await devicesOf(a), [good]);
        // no valid phone: failed at once with the reason, the registration removed
        const failedB = await statusOf(rowB.id);
        assertEquals([failedB.status, failedB.attempts], ["failed", 1]);
        assert(String(failedB.last_error).startsWith("OneSignal: no valid push subscription"), failedB.last_error);
        assertEquals(await devicesOf(b), []);
        assertEquals(requestsFor(rowB.key).length, 1);
        // nothing of theirs is claimed again
        await dispatch(dispatcher(sql));
        assertEquals(requestsFor(rowA.key).length + requestsFor(rowB.key).length, 2);

        // 3. two runners: one holds a push claim open (uncommitted) while the other claims
        const c = await signUp("push-c");
        await register(c, `${RUN}-c-1`);
        onesignal.subscribe(`${RUN}-c-1`);
        const held1 = await queuePush(c);
        const held2 = await queuePush(c, "evening_reminder");
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let firstClaim: number[] = [];
        const claimedBy1 = new Promise<void>((resolve) => {
          sql2.begin(async (tx) => {
            await tx`set local role service_role`;
            const rows = await tx`select id from public.claim_notifications_for('push', 1) where user_id = ${c}`;
            firstClaim = rows.map((r) => Number(r.id));
            resolve();
            await held;
          });
        });
        await claimedBy1;
        const second = (await db.claimReminders("push", 100)).filter((j) => j.userId === c);
        release();
        assertEquals(firstClaim.length, 1);
        assertEquals(second.length, 1);
        assert(firstClaim[0] !== second[0].id, "two runners hold the same push reminder");
        assertEquals(second[0].pushIds, [`${RUN}-c-1`]);
        assertEquals(second[0].idempotencyKey, [held1, held2].find((r) => r.id === second[0].id)!.key);
        for (const j of second) await db.finishReminder(j.id, false, "runner crashed");
        await admin`update public.notification_queue set status = 'pending' where id = any(${firstClaim})`;

        // 4. two whole runs at once (separate pools, small batches) over twelve members' rows
        const rows = [held1, held2];
        for (let i = 0; i < 10; i++) {
          const m = await signUp(`push-r${i}`);
          await register(m, `${RUN}-r${i}`);
          onesignal.subscribe(`${RUN}-r${i}`);
          rows.push(await queuePush(m));
        }
        await Promise.all([dispatch(dispatcher(sql, 2)), dispatch(dispatcher(sql2, 2))]);
        for (const r of rows) {
          assertEquals((await statusOf(r.id)).status, "sent");
          assertEquals(requestsFor(r.key).length, 1, `row ${r.id} was sent ${requestsFor(r.key).length} times`);
        }
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
        // stamped as saved now, so a device's older offline edit never takes the active place in sync
        const unstamped =
          await admin`select 1 from public.affirmations where user_id = ${member} and client_updated_at is null`;
        assertEquals(unstamped.length, 0);

        // 41 days of history: the account's first day is its earliest (as sync keeps it; streaks
        // are walked from the first day)
        await admin`update public.profiles p set first_day = public.protocol_day(now(), p.timezone, p.day_start) - 40
                    where p.id = ${member}`;
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
      await t.step(
        "issue 18: rate tokens, audit rows, Stripe prices and the export, through the real functions",
        async () => {
          const member = await signUp("export");
          const stranger = await signUp("export-stranger");
          // the bucket's state set outright (its clock is the transaction's now()): empty, and last
          // touched in the future, so no refill is due whatever the time the call takes
          await admin`insert into private.rate_buckets (user_id, bucket, tokens, updated_at)
                    values (${member}, 'functions', 0, now() + interval '1 hour')`;
          assertEquals(await db.takeRateToken(member, "functions"), 0.6); // 100 a minute: one every 0.6 s
          const net = new FakeStorage().net;
          const storage = new FakeStorage(net).bucket("exports");
          fakeSupabaseAuth(net, {
            "export-token": { id: member, email: `export-${RUN}@test.invalid` },
            "stranger-token": { id: stranger, email: `export-stranger-${RUN}@test.invalid` },
          });
          const handler = makeExportDataHandler({
            db,
            storage: new StorageAdmin(SUPABASE_URL, SERVICE_ROLE_KEY, net.fetch),
            authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
          });
          const post = (token: string, body: unknown = {}) =>
            new Request("http://localhost/export-data", {
              method: "POST",
              headers: { Authorization: `Bearer ${token}` },
              body: JSON.stringify(body),
            });
          let res = await handler(post("export-token"));
          assertEquals([res.status, res.headers.get("Retry-After")], [429, "1"]);
          assertEquals((await res.json()).error.code, "rate_limited");
          assertEquals(storage.names("exports"), []);
          // a bucket last touched an hour ago is full again (capped at 100)
          await admin`update private.rate_buckets set updated_at = now() - interval '1 hour'
                    where user_id = ${member} and bucket = 'functions'`;

          await admin`insert into public.affirmations (user_id, content, is_active) values (${member}, ${`I act ${RUN}.`}, true)`;
          await admin`insert into public.daily_sessions (user_id, date, morning_completed, recording_path, recording_duration_ms)
                    values (${member}, '2026-11-30', true, ${`${member}/2026-11-30.ogg`}, 61000)`;
          await admin`insert into public.vision_boards (id, user_id, position, image_path, caption)
                    values (gen_random_uuid(), ${member}, 1, ${`${member}/cabin.jpg`}, 'Cabin')`;
          storage.put("recordings", `${member}/2026-11-30.ogg`, new Uint8Array([1, 2, 3]), "audio/ogg");
          storage.put("vision-boards", `${member}/cabin.jpg`, new Uint8Array([4, 5]), "image/jpeg");
          storage.put("recordings", `${stranger}/x.ogg`, new Uint8Array([9]), "audio/ogg");

          // someone else's folder named in the body: refused before anything is read
          res = await handler(post("export-token", { user_id: stranger }));
          assertEquals([res.status, (await res.json()).error.code], [400, "not_your_folder"]);

          res = await handler(post("export-token"));
          assertEquals(res.status, 200);
          const out = await res.json();
          assert(out.path.startsWith(`${member}/export-`));
          const zip = unzipSync(new Uint8Array(await (await net.fetch(out.url)).arrayBuffer()));
          assertEquals(Object.keys(zip).sort(), [
            "README.txt",
            "data.json",
            "recordings/2026-11-30.ogg",
            "vision-boards/cabin.jpg",
          ]);
          assertEquals(out.parts.map((p: { path: string }) => p.path), [out.path]);
          const text = strFromU8(zip["data.json"]);
          const data = JSON.parse(text);
          assertEquals(data.profile.id, member);
          assertEquals(data.affirmations.map((a: { content: string }) => a.content), [`I act ${RUN}.`]);
          assertEquals(data.daily_sessions[0].recording_path, `${member}/2026-11-30.ogg`);
          assertEquals(data.vision_boards[0].caption, "Cabin");
          assertEquals(data.archive.missing, []);
          assert(!text.includes(stranger));
          const audit = await admin`select event, actor, detail from public.audit_log where user_id = ${member}`;
          assertEquals(audit.map((a) => [a.event, a.actor, a.detail.path, a.detail.files]), [
            ["export_created", "member", out.path, 2],
          ]);
          assertEquals(
            (await admin`select count(*)::int as n from public.audit_log where user_id = ${stranger}`)[0].n,
            0,
          );
          // record_audit directly: its id back; an event outside the list is refused
          const id = await db.recordAudit(member, "support_access", "support", { staff: "s1" });
          assert(id > 0);
          let refused = false;
          try {
            await db.recordAudit(member, "nonsense" as "support_access", "member");
          } catch {
            refused = true;
          }
          assert(refused);
          assertEquals(await db.exportMember(crypto.randomUUID()), null);

          // Stripe prices through the webhook, with real signatures
          const webhook = makeStripeWebhookHandler({
            stripe,
            webhookSecret: WEBHOOK_SECRET,
            db,
            cryptoProvider,
            log: () => {},
          });
          const priceId = `price_${RUN}_yearly`;
          const e = withId(
            subscriptionEvent("customer.subscription.created", {
              id: `sub_${RUN}_p`,
              customer: `cus_${RUN}_p`,
              status: "active",
              userId: member,
              price: priceId,
              amount: 24000,
              currency: "eur",
              interval: "year",
            }, T0),
            `evt_${RUN}_p_1`,
          );
          assertEquals((await webhook(await signedRequest(e))).status, 200);
          const [price] = await admin`select unit_amount::int, currency, recurring_interval, interval_count
                                      from public.stripe_prices where price_id = ${priceId}`;
          assertEquals({ ...price }, {
            unit_amount: 24000,
            currency: "eur",
            recurring_interval: "year",
            interval_count: 1,
          });
          await db.recordStripePrice({
            priceId,
            unitAmount: 2400,
            currency: "eur",
            interval: "month",
            intervalCount: 1,
          });
          const [again] = await admin`select unit_amount::int, recurring_interval from public.stripe_prices
                                     where price_id = ${priceId}`;
          assertEquals({ ...again }, { unit_amount: 2400, recurring_interval: "month" });
        },
      );
    } finally {
      if (created.length) await admin`delete from auth.users where id = any(${created})`;
      // rows without a foreign key to the member (they outlive an account by design)
      if (created.length) await admin`delete from public.audit_log where user_id = any(${created})`;
      if (created.length) await admin`delete from private.rate_buckets where user_id = any(${created})`;
      await admin`delete from public.stripe_prices where price_id like ${`price_${RUN}_%`}`;
      await admin`delete from public.stripe_events_processed where event_id like ${`evt_${RUN}_%`}`;
      await admin`delete from private.reminder_senders`;
      for (const r of senders) {
        await admin`insert into private.reminder_senders (channel, seen_at) values (${r.channel}, ${r.seen_at})`;
      }
      await sql.end();
      await sql2.end();
      await admin.end();
    }
  },
});
