-- What the edge functions rely on (migrations/…_edge_functions.sql): per-channel reminder claims,
-- the Kit sync queue (welcome at sign-up, weekly job, claim/finish with retries), the AI quota
-- refund, and who may call what.
begin;
select plan(25);

-- Inside this transaction (rolled back at the end) only this file's members exist.
delete from auth.users;

-- ---------- Kit sync queue ----------
select tests.create_supabase_user('kit', 'kit@example.com', '{"full_name": "Kit Member"}');
select tests.create_supabase_user('quiet');
select results_eq($$select kind, week_start, status from public.kit_sync_queue where user_id = tests.get_supabase_uid('kit')$$,
  $$values ('welcome'::text, null::date, 'pending'::text)$$, 'sign-up queues the Kit welcome upsert');
select is((select count(*)::int from public.kit_sync_queue where kind = 'welcome'), 2, 'one welcome per sign-up');
-- 'quiet' then turns the weekly email off (their welcome is out of the way for what follows)
delete from public.kit_sync_queue where user_id = tests.get_supabase_uid('quiet');
update public.user_settings set weekly_email = false where id = tests.get_supabase_uid('quiet');
select is(public.queue_kit_weekly('2026-11-29 18:00+00'), 1, 'the weekly job queues members who want the weekly email');
select is(public.queue_kit_weekly('2026-11-29 19:00+00'), 0, 'a re-run in the same week queues nothing twice');
select is((select week_start from public.kit_sync_queue where kind = 'weekly'), date '2026-11-23',
  'weekly rows are keyed by the week (Monday)');
select is(public.queue_kit_weekly('2026-12-06 18:00+00'), 1, 'the next week queues again');
select throws_ok($$insert into public.kit_sync_queue (user_id, kind) values (tests.get_supabase_uid('kit'), 'welcome')$$,
  '23505', null, 'one welcome per member');
select is((select count(*)::int from cron.job where jobname = 'queue-kit-weekly' and command = 'select public.queue_kit_weekly()'), 1,
  'the weekly Kit job is scheduled');

select tests.authenticate_as_service_role();
update public.profiles set current_streak = 3, completion_rate = 42.86 where id = tests.get_supabase_uid('kit');
select results_eq($$select kind, email, member_code, week_number, current_streak, completion_rate, weekly_email, attempts
                     from public.claim_kit_sync(2)$$,
  $$values ('welcome'::text, 'kit@example.com'::text, (select member_code from public.profiles where email = 'kit@example.com'),
            1, 3, 42.86::numeric, true, 1),
           ('weekly', 'kit@example.com', (select member_code from public.profiles where email = 'kit@example.com'),
            1, 3, 42.86, true, 1)$$,
  'kit-sync claims rows with the member''s address and current figures');
select is((select count(*)::int from public.claim_kit_sync(10)), 1, 'claimed rows are not claimed twice');
select public.finish_kit_sync(id, true) from public.kit_sync_queue where kind = 'welcome';
select public.finish_kit_sync(id, false, 'Kit 500') from public.kit_sync_queue where kind = 'weekly';
select results_eq($$select kind, status, last_error from public.kit_sync_queue order by id$$,
  $$values ('welcome'::text, 'sent'::text, null::text), ('weekly', 'pending', 'Kit 500'), ('weekly', 'pending', 'Kit 500')$$,
  'finish marks sent, or pending for a retry');
select tests.clear_authentication();
update public.kit_sync_queue set attempts = 5, status = 'sending' where kind = 'weekly';
select tests.authenticate_as_service_role();
select public.finish_kit_sync(id, false, 'Kit 500') from public.kit_sync_queue where kind = 'weekly';
select is((select count(*)::int from public.kit_sync_queue where status = 'failed'), 2, '...and failed after 5 attempts');

-- ---------- reminders by channel ----------
select tests.clear_authentication();
insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
values (tests.get_supabase_uid('kit'), 'morning_reminder', 'email', '2026-11-26', 'chrisapp://open/morning', now() - interval '1 minute'),
       (tests.get_supabase_uid('kit'), 'morning_reminder', 'push', '2026-11-26', 'chrisapp://open/morning', now() - interval '1 minute'),
       (tests.get_supabase_uid('quiet'), 'evening_reminder', 'email', '2026-11-26', 'chrisapp://open/evening', now() + interval '1 hour');
select tests.authenticate_as_service_role();
select results_eq($$select kind, channel, email, attempts from public.claim_notifications_for('email', 10)$$,
  $$values ('morning_reminder'::text, 'email'::text, 'kit@example.com'::text, 1)$$,
  'the email dispatcher claims due email reminders only, with the address');
select is((select count(*)::int from public.claim_notifications_for('email', 10)), 0, 'never the same reminder twice');
select is((select status from public.notification_queue where channel = 'push'), 'pending', 'push reminders wait for a push sender');
select tests.clear_authentication();
update public.notification_queue set claimed_at = now() - interval '11 minutes' where channel = 'email' and status = 'sending';
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.claim_notifications_for('email', 10)), 1,
  'a claim older than 10 minutes (a crashed dispatcher) is claimed again');

-- ---------- AI quota refund ----------
select ok(public.consume_ai_quota(tests.get_supabase_uid('kit'), 'suggest_actions', 1), 'quota taken');
select ok(not public.consume_ai_quota(tests.get_supabase_uid('kit'), 'suggest_actions', 1), 'quota used up');
select ok(public.refund_ai_quota(tests.get_supabase_uid('kit'), 'suggest_actions'), 'a failed AI call gives the unit back');
select ok(public.consume_ai_quota(tests.get_supabase_uid('kit'), 'suggest_actions', 1), 'so the member can try again');
select ok(not public.refund_ai_quota(tests.get_supabase_uid('quiet'), 'suggest_actions'), 'a refund never goes below zero');

-- ---------- who may call what ----------
select tests.clear_authentication();
select ok(not has_function_privilege('authenticated', 'public.claim_kit_sync(integer)', 'execute')
          and not has_function_privilege('anon', 'public.finish_kit_sync(bigint, boolean, text)', 'execute')
          and not has_function_privilege('authenticated', 'public.claim_notifications_for(text, integer)', 'execute')
          and not has_function_privilege('authenticated', 'public.refund_ai_quota(uuid, text)', 'execute'),
  'members cannot call the edge functions'' service-role functions');
select ok(not has_function_privilege('service_role', 'public.queue_kit_weekly(timestamptz)', 'execute')
          and not has_function_privilege('authenticated', 'public.queue_kit_weekly(timestamptz)', 'execute'),
  'the weekly job is for pg_cron only');

select tests.authenticate_as('kit');
select is((select count(*)::int from public.kit_sync_queue), 3, 'members read their own Kit sync rows');
select throws_ok($$insert into public.kit_sync_queue (user_id, kind) values (tests.get_supabase_uid('kit'), 'welcome')$$,
  '42501', null, '...and cannot write them');

select * from finish();
rollback;
