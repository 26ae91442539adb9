-- The scheduled jobs, and regressions of the plan's database defects (docs/rules.md#plan-defects) not
-- covered by a scenario elsewhere.
begin;
select plan(24);

-- Inside this transaction (rolled back at the end) only this file's members exist, so the
-- counts the jobs return are about them, whatever else the database holds.
delete from auth.users;

-- ---------- pg_cron ----------
select is((select count(*)::int from cron.job
             where (jobname = 'queue-reminders' and command = 'select public.queue_reminders()')
                or (jobname = 'refresh-stale-stats' and command = 'select public.refresh_stale_stats()')), 2,
  'the reminder and day-boundary statistics jobs are scheduled');
select is((select string_agg(distinct schedule, ',') from cron.job
            where jobname in ('queue-reminders', 'refresh-stale-stats'))::text, '*/15 * * * *',
  '...every 15 minutes (every zone offset is a multiple of 15 minutes)');
select is((select count(*)::int from cron.job where jobname in ('purge-sync-ops', 'purge-notifications')), 2,
  'housekeeping jobs are scheduled');
select results_eq($$select jobname::text collate "default", schedule, command from cron.job
                     where jobname in ('expire-notifications', 'purge-notifications') order by 1$$,
  $$values ('expire-notifications'::text, '*/15 * * * *'::text, 'select public.expire_notifications()'::text),
           ('purge-notifications', '27 3 * * *', 'select public.purge_notifications()')$$,
  'stale reminders expire every 15 minutes; the nightly purge is the function that covers every final state');
select ok((select prosrc ~ 'status in \(''sent'', ''failed'', ''expired'', ''skipped''\)' from pg_proc where proname = 'purge_notifications'),
  '...sent, failed, expired and skipped');
select is((select count(*)::int from cron.job where command ~* 'streak = 0|send_morning_reminders'), 0,
  'none of the plan''s UTC-midnight jobs exist');

-- ---------- 8.10: the price is Stripe's ----------
select hasnt_column('public', 'profiles', 'subscription_price', 'no hard-coded price on profiles');

-- ---------- 8.8: updated_at maintained on every member table ----------
select tests.create_supabase_user('m');
select tests.get_supabase_uid('m') as uid \gset
insert into public.daily_sessions (user_id, date) values (:'uid', current_date - 1);
insert into public.affirmations (user_id, content) values (:'uid', 'x');
insert into public.vision_boards (user_id, position, image_path) values (:'uid', 1, :'uid' || '/1.jpg');
update public.daily_sessions set updated_at = '2001-01-01' where user_id = :'uid';
update public.affirmations set updated_at = '2001-01-01' where user_id = :'uid';
update public.vision_boards set updated_at = '2001-01-01' where user_id = :'uid';
update public.user_settings set updated_at = '2001-01-01' where id = :'uid';
update public.profiles set updated_at = '2001-01-01' where id = :'uid';
select is((select updated_at from public.daily_sessions where user_id = :'uid'), now(), 'daily_sessions.updated_at is maintained');
select is((select updated_at from public.affirmations where user_id = :'uid'), now(), 'affirmations.updated_at is maintained');
select is((select updated_at from public.vision_boards where user_id = :'uid'), now(), 'vision_boards.updated_at is maintained');
select is((select updated_at from public.user_settings where id = :'uid'), now(), 'user_settings.updated_at is maintained');
select is((select updated_at from public.profiles where id = :'uid'), now(), 'profiles.updated_at is maintained');

-- ---------- 8.3: SECURITY DEFINER functions ----------
select is((select count(*)::int from pg_proc p where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
             and p.prosecdef and (p.proconfig is null or not ('search_path=""' = any (p.proconfig)))), 0,
  'every SECURITY DEFINER function has search_path = ''''');
select is((select count(*)::int from pg_proc p where p.pronamespace = 'public'::regnamespace and p.prosecdef
             and has_function_privilege('anon', p.oid, 'execute')), 0,
  'no SECURITY DEFINER function is executable by anon');
-- register_push_device is one exception: it moves a phone from its previous owner, a row
-- the caller may not touch, and does everything for auth.uid() only (13-push-reminders.sql);
-- record_own_audit the other: the one audit row a member may add, about themselves (22-audit-log.sql)
select is((select array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text) from pg_proc p
            where p.pronamespace = 'public'::regnamespace and p.prosecdef
              and has_function_privilege('authenticated', p.oid, 'execute')),
  array['record_own_audit(text,jsonb)', 'register_push_device(text,text)'],
  'no SECURITY DEFINER function is executable by authenticated but register_push_device and record_own_audit');
select function_privs_are('public', 'handle_new_user', array[]::text[], 'authenticated', array[]::text[],
  'the sign-up trigger function cannot be called by members');

-- ---------- 8.1: the streak job covers members with no row for yesterday ----------
select tests.create_supabase_user('idle');
update public.profiles set day_start = 0, first_day = current_date - 5, stats_day = current_date - 3,
       current_streak = 2 where id = tests.get_supabase_uid('idle');
select cmp_ok(public.refresh_stale_stats(now()), '>=', 1, 'the job finds a member whose day moved on');
select is((select current_streak from public.profiles where id = tests.get_supabase_uid('idle')), 0,
  'a stale streak is reset for a member with no session rows at all');

-- ---------- remaining constraints and triggers ----------
select throws_ok(format($$insert into public.daily_sessions (user_id, date, recording_sha256) values ('%s', current_date - 4, 'xyz')$$, :'uid'),
  '23514', null, 'a recording checksum is 64 lowercase hex digits');
select throws_ok(format($$insert into public.daily_sessions (user_id, date, recording_duration_ms) values ('%s', current_date - 4, -1)$$, :'uid'),
  '23514', null, 'a recording duration is not negative');
select throws_ok(format($$insert into public.daily_sessions (user_id, date, violent_action) values ('%s', current_date - 4, repeat('v', 281))$$, :'uid'),
  '23514', null, 'a violent action is at most 280 characters');
select throws_ok(format($$insert into public.affirmations (user_id, content) values ('%s', '')$$, :'uid'),
  '23514', null, 'an affirmation is not empty');
select throws_ok(format($$update public.profiles set full_name = repeat('n', 101) where id = '%s'$$, :'uid'),
  '23514', null, 'a full name is at most 100 characters');
select tests.authenticate_as('m');
insert into public.last_seen (client_id, platform) values ('00000000-0000-4000-8000-000000000009', 'android');
update public.last_seen set seen_at = '2001-01-01', platform = 'ios';
select is((select seen_at from public.last_seen), now(), 'last_seen.seen_at is the server''s time, whatever the client sends');
select tests.clear_authentication();

select * from finish();
rollback;
