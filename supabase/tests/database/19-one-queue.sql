-- One queue mechanism (migrations/20261202000700_one_queue.sql): notification_queue and
-- kit_sync_queue claim and finish through the same private helpers, with the attempts limit and
-- the reclaim delay in one place; a reminder can be failed at once. Both queues behave as before.
-- (Two dispatchers claiming at the same moment, SKIP LOCKED across connections, are driven in
-- tests/db/test_db_queue_concurrency.py; one transaction cannot hold two sessions.)
begin;
select plan(37);

delete from auth.users;
select tests.create_supabase_user('ana');
select tests.create_supabase_user('bob');
delete from public.notification_queue;
delete from public.kit_sync_queue;

-- One due email reminder and one Kit row per test step, keyed by protocol day / week.
create function pg_temp.reminder(p_day date) returns bigint language sql as $$
  insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
  values (tests.get_supabase_uid('ana'), 'morning_reminder', 'email', p_day, 'chrisapp://open/morning',
          now() - interval '1 minute')
  returning id
$$;
create function pg_temp.kit_row(p_week date) returns bigint language sql as $$
  insert into public.kit_sync_queue (user_id, kind, week_start)
  values (tests.get_supabase_uid('ana'), 'weekly', p_week)
  returning id
$$;
create function pg_temp.row_of(p_queue text, p_id bigint) returns text language plpgsql as $$
declare r text;
begin
  execute format('select status || '' '' || attempts from public.%I where id = $1', p_queue) into r using p_id;
  return r;
end
$$;

-- ---------- the rules: one place, nothing for members ----------
select is(private.queue_max_attempts(), 5, 'a row is tried 5 times');
select is(private.queue_reclaim_after(), interval '10 minutes', 'a claim is held 10 minutes');
select is_empty($$
  select p.proname from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
     and p.proname in ('claim_notifications_for', 'finish_notification', 'fail_notification',
                       'expire_notifications', 'claim_kit_sync', 'finish_kit_sync')
     and (p.prosrc ~ '10 minutes' or p.prosrc ~ 'attempts\s*>=\s*\d'
          or (p.prosrc ~* 'skip locked' and p.proname <> 'expire_notifications'))$$,
  'no public queue function writes the limit, the delay or its own claim locking: they call the helpers');
select ok(pg_get_functiondef('private.queue_claim(regclass, integer, text, text, text)'::regprocedure) ~* 'for update skip locked',
  'the shared claim locks its rows with SKIP LOCKED');
select ok(not has_function_privilege('anon', 'private.queue_claim(regclass, integer, text, text, text)', 'execute')
          and not has_function_privilege('authenticated', 'private.queue_claim(regclass, integer, text, text, text)', 'execute')
          and not has_function_privilege('anon', 'private.queue_finish(regclass, bigint, boolean, text, boolean)', 'execute')
          and not has_function_privilege('authenticated', 'private.queue_finish(regclass, bigint, boolean, text, boolean)', 'execute'),
  'members cannot run the queue helpers');
select function_privs_are('public', 'fail_notification', array['bigint', 'text'], 'authenticated', array[]::text[],
  'members cannot fail reminders');
select function_privs_are('public', 'fail_notification', array['bigint', 'text'], 'service_role', array['EXECUTE'],
  'the dispatcher can');
select throws_ok($$select * from private.queue_claim('public.profiles', 1, 'true', 'c.id')$$, '22023',
  'not a queue: public.profiles', 'the shared claim refuses a table that is not a queue');

-- ---------- reminders: claim once, reclaim after the delay ----------
select pg_temp.reminder('2026-06-01') as r1 \gset
select tests.authenticate_as_service_role();
select results_eq($$select id, attempts from public.claim_notifications_for('email', 10)$$,
  format('values (%s::bigint, 1)', :r1), 'a due reminder is claimed, its first attempt counted');
select is_empty($$select 1 from public.claim_notifications_for('email', 10)$$,
  '...once: a second claim does not get it while the claim is fresh');
select tests.clear_authentication();
update public.notification_queue set claimed_at = now() - interval '9 minutes 59 seconds' where id = :r1;
select tests.authenticate_as_service_role();
select is_empty($$select 1 from public.claim_notifications_for('email', 10)$$,
  '...nor just inside the reclaim delay');
select tests.clear_authentication();
update public.notification_queue set claimed_at = now() - interval '10 minutes 1 second' where id = :r1;
select tests.authenticate_as_service_role();
select results_eq($$select id, attempts from public.claim_notifications_for('email', 10)$$,
  format('values (%s::bigint, 2)', :r1), 'a claim older than the delay (a crashed dispatcher) is claimed again, attempt 2');

-- ---------- reminders: retry, failed after the limit, failed at once ----------
select public.finish_notification(:r1, false, 'Kit 503');
select is(pg_temp.row_of('notification_queue', :r1), 'pending 2', 'a failed send under the limit goes back to pending');
select tests.clear_authentication();
update public.notification_queue set attempts = 4 where id = :r1;
select tests.authenticate_as_service_role();
select is((select attempts from public.claim_notifications_for('email', 10)), 5, 'the fifth attempt is claimed');
select public.finish_notification(:r1, false, 'Kit 503');
select is(pg_temp.row_of('notification_queue', :r1), 'failed 5', '...and its failure is final');
select tests.clear_authentication();

select pg_temp.reminder('2026-06-02') as r2 \gset
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.claim_notifications_for('email', 10)), 1, 'a new reminder is claimed');
select public.fail_notification(:r2, repeat('x', 1200));
select tests.clear_authentication();
select results_eq(format($$select status, attempts, length(last_error), sent_at from public.notification_queue where id = %s$$, :r2),
  $$values ('failed', 1, 1000, null::timestamptz)$$,
  'fail_notification fails a claimed reminder at its first attempt, the error kept (1000 characters)');
select pg_temp.reminder('2026-06-03') as r3 \gset
select tests.authenticate_as_service_role();
select public.fail_notification(:r3, 'no phone');
select public.finish_notification(:r2, true);
select tests.clear_authentication();
select is(pg_temp.row_of('notification_queue', :r3), 'pending 0', 'fail_notification leaves a row nobody claimed alone');
select is(pg_temp.row_of('notification_queue', :r2), 'failed 1', 'a finished row is not finished again');

select pg_temp.reminder('2026-06-04') as r4 \gset
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.claim_notifications_for('email', 10) where id = :r4), 1, 'one more claimed');
select public.finish_notification(:r4, true);
select tests.clear_authentication();
select results_eq(format($$select status, attempts, last_error, sent_at = now() from public.notification_queue where id = %s$$, :r4),
  $$values ('sent', 1, null::text, true)$$, 'a sent reminder is sent, when now');
delete from public.notification_queue;

-- ---------- Kit: the same ----------
select pg_temp.kit_row('2026-06-01') as k1 \gset
select tests.authenticate_as_service_role();
select results_eq($$select id, attempts, kind from public.claim_kit_sync(10)$$,
  format($$values (%s::bigint, 1, 'weekly')$$, :k1), 'a Kit row is claimed, its first attempt counted');
select is_empty($$select 1 from public.claim_kit_sync(10)$$, '...once, while the claim is fresh');
select tests.clear_authentication();
update public.kit_sync_queue set claimed_at = now() - interval '9 minutes 59 seconds' where id = :k1;
select tests.authenticate_as_service_role();
select is_empty($$select 1 from public.claim_kit_sync(10)$$, '...nor just inside the reclaim delay');
select tests.clear_authentication();
update public.kit_sync_queue set claimed_at = now() - interval '10 minutes 1 second' where id = :k1;
select tests.authenticate_as_service_role();
select results_eq($$select id, attempts from public.claim_kit_sync(10)$$,
  format('values (%s::bigint, 2)', :k1), 'a stale Kit claim is claimed again, attempt 2');
select public.finish_kit_sync(:k1, false, 'Kit 500');
select is(pg_temp.row_of('kit_sync_queue', :k1), 'pending 2', 'a failed Kit call under the limit goes back to pending');
select tests.clear_authentication();
update public.kit_sync_queue set attempts = 4 where id = :k1;
select tests.authenticate_as_service_role();
select is((select attempts from public.claim_kit_sync(10)), 5, 'the fifth Kit attempt is claimed');
select public.finish_kit_sync(:k1, false, 'Kit 500');
select is(pg_temp.row_of('kit_sync_queue', :k1), 'failed 5', '...and its failure is final');
select pg_temp.kit_row('2026-06-08') as k2 \gset
select is((select count(*)::int from public.claim_kit_sync(10)), 1, 'a new Kit row is claimed');
select private.queue_finish('public.kit_sync_queue', :k2, false, 'member gone', true);
select is(pg_temp.row_of('kit_sync_queue', :k2), 'failed 1', 'the shared finish fails a Kit row at once too');
select tests.clear_authentication();
delete from public.kit_sync_queue;

-- ---------- the constants are the one source: change them, both queues follow ----------
create or replace function private.queue_max_attempts() returns integer language sql immutable
  set search_path = '' as $$ select 2 $$;
create or replace function private.queue_reclaim_after() returns interval language sql immutable
  set search_path = '' as $$ select interval '1 minute' $$;
select pg_temp.reminder('2026-07-01') as r5 \gset
select pg_temp.kit_row('2026-07-06') as k5 \gset
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.claim_notifications_for('email', 10)), 1, 'with the rules changed: a reminder claimed');
select is((select count(*)::int from public.claim_kit_sync(10)), 1, '...and a Kit row');
select tests.clear_authentication();
update public.notification_queue set claimed_at = now() - interval '61 seconds' where id = :r5;
update public.kit_sync_queue set claimed_at = now() - interval '61 seconds' where id = :k5;
select tests.authenticate_as_service_role();
select is((select attempts from public.claim_notifications_for('email', 10)), 2,
  'a reminder claim is reclaimed after the new delay (1 minute)');
select is((select attempts from public.claim_kit_sync(10)), 2, '...and a Kit claim');
select public.finish_notification(:r5, false, 'down');
select public.finish_kit_sync(:k5, false, 'down');
select is(pg_temp.row_of('notification_queue', :r5), 'failed 2', 'a reminder fails after the new limit (2 attempts)');
select is(pg_temp.row_of('kit_sync_queue', :k5), 'failed 2', '...and a Kit row');
select tests.clear_authentication();
-- the expiry job leaves a row in a dispatcher's hands for the same delay
insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for, status, claimed_at)
values (tests.get_supabase_uid('bob'), 'evening_reminder', 'push', '2026-07-01', 'chrisapp://open/evening',
        now() - interval '3 hours', 'sending', now() - interval '61 seconds');
select is(public.expire_notifications(), 1, 'expire_notifications reads the same delay (a claim 61 seconds old is let go)');

select * from finish();
rollback;
