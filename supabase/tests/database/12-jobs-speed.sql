-- The 15-minute jobs found through indexes (migration 20261201000300_jobs_speed.sql) give the
-- same rows as their per-member definitions: across DST changes (spring forward, fall back,
-- 30-minute and midnight transitions), zones of every offset, a zone or day_start changed; the
-- reminder job also with members paywalled, switched off or already done, with and without a
-- phone or an address (one channel each, 20261202000100_push_reminders.sql), and without the
-- per-row foreign key (20261201000400_queue_insert_speed.sql) whose guarantees its triggers keep.
begin;
select plan(48);

-- Inside this transaction (rolled back at the end) only this file's members exist, so the
-- counts the jobs return are about them, whatever else the database holds.
delete from auth.users;

select has_index('public', 'profiles', 'profiles_stats_day_idx', array['timezone', 'stats_day', 'day_start'],
  'the day-boundary job has its index on (timezone, stats_day, day_start)');
select ok((select indexdef ~ '\(id\) INCLUDE \(morning_reminder, evening_reminder, push_notifications, email_reminders\)'
             from pg_indexes where schemaname = 'public' and indexname = 'user_settings_reminders_idx'),
  'the reminder job reads the settings from a covering index');
select is((select count(*)::int from pg_proc
            where proname in ('queue_reminders', 'refresh_stale_stats', 'stale_members')
              and 'jit=off' = any (proconfig) and 'search_path=""' = any (proconfig)), 3,
  'both jobs and the stale-member lookup run with jit off and an empty search_path');
select ok((select 'enable_seqscan=off' = any (proconfig) from pg_proc where proname = 'queue_reminders'),
  'the reminder job reaches every table through an index whatever the statistics (an empty queue invited a scan per row)');
select is((select count(*)::int from pg_proc where proname = 'stale_members'
             and (has_function_privilege('anon', oid, 'execute') or has_function_privilege('authenticated', oid, 'execute')
                  or has_function_privilege('service_role', oid, 'execute'))), 0,
  'nobody but the jobs runs the stale-member lookup');

-- ---------- members in zones of every kind of offset and DST rule ----------
-- 14 zones x day_start 0, 1, 2, 3, 12, 23 x 5 stats_day variants = 420 members
create temp table zone_list (zone text) on commit drop;
insert into zone_list values ('UTC'), ('Europe/Paris'), ('America/New_York'), ('America/St_Johns'),
  ('Australia/Lord_Howe'), ('Asia/Kathmandu'), ('Pacific/Chatham'), ('Pacific/Kiritimati'),
  ('Pacific/Pago_Pago'), ('America/Santiago'), ('Africa/Casablanca'), ('Europe/Dublin'),
  ('Asia/Tehran'), ('Australia/Adelaide');
-- Loaded as a restore would (triggers off): each sign-up checks its zone against
-- pg_timezone_names, ~0.1 s a member.
set local session_replication_role = replica;
insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data)
select gen_random_uuid(), 'authenticated', 'authenticated', 'j' || z.zone || ds || v || '@test.invalid',
       jsonb_build_object('test_identifier', 'j|' || z.zone || '|' || ds || '|' || v), '{}'
  from zone_list z, unnest(array[0, 1, 2, 3, 12, 23]) ds, generate_series(0, 4) v;
insert into public.profiles (id, email, timezone, day_start, first_day)
select u.id, u.email, split_part(u.raw_user_meta_data ->> 'test_identifier', '|', 2),
       split_part(u.raw_user_meta_data ->> 'test_identifier', '|', 3)::smallint, '2026-01-01'
  from auth.users u;
insert into public.user_settings (id) select id from public.profiles;
set local session_replication_role = origin;
analyze public.profiles, public.user_settings;
select is((select count(distinct timezone)::int from public.profiles), 14, 'the members live in 14 zones');

-- DST windows: the 24 hours from 10:00 UTC the day before a change to 10:00 UTC on its day, which
-- hold every change of that date in every zone: 8 March and 1 November (US, St John's),
-- 22 March (Casablanca), 29 March and 25 October (EU, Dublin's "negative" rule), 5 April
-- (Lord Howe's 30 minutes, Chatham, Adelaide, Santiago at midnight), 6 September (Santiago),
-- 27 September (Chatham), 4 October (Lord Howe, Adelaide).
create temp table windows (w date) on commit drop;
insert into windows values ('2026-03-08'), ('2026-03-22'), ('2026-03-29'), ('2026-04-05'), ('2026-09-06'),
  ('2026-09-27'), ('2026-10-04'), ('2026-10-25'), ('2026-11-01');
-- each instant every 15 minutes through the windows, and the microsecond before it (day
-- boundaries are instants); the protocol day there of every (zone, day_start), by
-- public.protocol_day, the definition both jobs must agree with
create temp table instants on commit drop as
select w, g + e as t, e = interval '0' as on_slot
  from windows, lateral (select w::timestamp at time zone 'UTC' as midnight) m,
       generate_series(m.midnight - interval '14 hours', m.midnight + interval '10 hours', interval '15 minutes') g,
       (values (interval '0'), (interval '-1 microsecond')) x (e);
create temp table days on commit drop as
select i.t, z.zone, ds::smallint as day_start, public.protocol_day(i.t, z.zone, ds) as today
  from instants i, zone_list z, unnest(array[0, 1, 2, 3, 12, 23]) ds;
create index on days (t, zone, day_start);
analyze days;

-- some history (the ten days before each window, most of them done), so that the recomputed
-- statistics are not all zero; loaded without the trigger, then rebuilt
set local session_replication_role = replica;
insert into public.daily_sessions (user_id, date, morning_completed, discipline_rating)
select distinct p.id, d, true, 7
  from public.profiles p join auth.users u on u.id = p.id, windows, generate_series(1, 10) i,
       lateral (select windows.w - i as d) x
 where p.day_start in (0, 3) and split_part(u.raw_user_meta_data ->> 'test_identifier', '|', 4) = '1'
   and (hashtext(p.id::text || d::text) & 7) <> 0;
set local session_replication_role = origin;
select count(*) from (select private.rebuild_member_stats(s.user_id) from public.daily_sessions s group by s.user_id) r;
analyze public.daily_sessions, private.completion_runs, private.member_stats_state;

create temp table mismatches (what text, t timestamptz, id uuid) on commit drop;

-- ---------- stale_members = stats_day is distinct from protocol_day, at every instant ----------
do $$
declare
  win date;
begin
  for win in select windows.w from windows order by 1 loop
    -- stats_day: null, or two days before the window's day to a day after
    update public.profiles p set stats_day = case split_part(u.raw_user_meta_data ->> 'test_identifier', '|', 4)::int
        when 0 then null else win + split_part(u.raw_user_meta_data ->> 'test_identifier', '|', 4)::int - 3 end
      from auth.users u where u.id = p.id;
    insert into mismatches
    with got as materialized (
      select i.t, s.id, s.today from instants i cross join lateral private.stale_members(i.t) s where i.w = win
    ), expected as materialized (
      select i.t, p.id, d.today from instants i cross join public.profiles p
        join days d on d.t = i.t and d.zone = p.timezone and d.day_start = p.day_start
       where i.w = win and p.stats_day is distinct from d.today
    )
    select 'stale_members', x.t, x.id
      from ((select * from got except all select * from expected)
            union all (select * from expected except all select * from got)) x;
  end loop;
end
$$;
select is((select count(*)::int from mismatches where what = 'stale_members'), 0,
  'stale_members returns exactly the members whose protocol day is not their stats_day, with that day, at every instant of 9 DST windows in 14 zones');

-- ---------- refresh_stale_stats, run every 15 minutes through the windows ----------
do $$
declare
  win date;
  instant timestamptz;
  expected integer;
  got integer;
begin
  -- three of the windows: spring forward in Europe, the southern fall back (four zones, one of
  -- them by 30 minutes, one at midnight), fall back in the US
  for win in select windows.w from windows where windows.w in ('2026-03-29', '2026-04-05', '2026-11-01') order by 1 loop
    update public.profiles set stats_day = null;
    for instant in select i.t from instants i where i.w = win and i.on_slot order by 1 loop
      select count(*) into expected from public.profiles p
        join days d on d.t = instant and d.zone = p.timezone and d.day_start = p.day_start
       where p.stats_day is distinct from d.today;
      got := public.refresh_stale_stats(instant);
      if got <> expected then
        insert into mismatches values ('refresh count', instant, null);
      end if;
      insert into mismatches select 'refresh left stale', instant, p.id from public.profiles p
        join days d on d.t = instant and d.zone = p.timezone and d.day_start = p.day_start
       where p.stats_day is distinct from d.today;
    end loop;
    insert into mismatches select 'refresh statistics', win, p.id
      from public.profiles p cross join lateral private.compute_stats(p.id, p.stats_day) s
     where (p.current_streak, p.longest_streak, p.total_days_completed, p.completion_rate,
            p.average_discipline_rating, p.discipline_score)
           is distinct from
           (s.current_streak, s.longest_streak, s.total_days_completed, s.completion_rate,
            s.average_discipline_rating, s.discipline_score);
  end loop;
end
$$;
select is((select count(*)::int from mismatches where what = 'refresh count'), 0,
  'every 15-minute run through 3 DST windows refreshes exactly the members whose day turned since the last run');
select is((select count(*)::int from mismatches where what = 'refresh left stale'), 0,
  '...and leaves nobody stale');
select is((select count(*)::int from mismatches where what = 'refresh statistics'), 0,
  '...with the statistics of each member''s own protocol day');
select cmp_ok((select count(*)::int from public.profiles where current_streak > 0), '>', 5,
  'those statistics include real streaks, not only zeros');

-- ---------- named cases ----------
delete from auth.users;
select tests.create_supabase_user(n) from unnest(array['paris', 'kiri', 'utc']) n;
update public.profiles set timezone = 'Europe/Paris', day_start = 3 where id = tests.get_supabase_uid('paris');
update public.profiles set timezone = 'Pacific/Kiritimati', day_start = 3 where id = tests.get_supabase_uid('kiri');
update public.profiles set timezone = 'UTC', day_start = 0 where id = tests.get_supabase_uid('utc');

-- fall back in Paris, 25 October 2026: 03:00 CEST becomes 02:00 CET at 01:00 UTC
select public.refresh_stale_stats('2026-10-24 12:00+00');
select public.refresh_stale_stats('2026-10-25 01:00+00');
select is((select stats_day from public.profiles where id = tests.get_supabase_uid('paris')), date '2026-10-24',
  'Paris, fall back: at 01:00 UTC the member''s clock says 02:00 again, the day has not turned');
select public.refresh_stale_stats('2026-10-25 01:59:59+00');
select is((select stats_day from public.profiles where id = tests.get_supabase_uid('paris')), date '2026-10-24',
  '...nor at 02:59:59 CET');
select public.refresh_stale_stats('2026-10-25 02:00+00');
select is((select stats_day from public.profiles where id = tests.get_supabase_uid('paris')), date '2026-10-25',
  '...it turns at 03:00 CET (02:00 UTC)');

-- spring forward in Paris, 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC
update public.profiles set day_start = 2 where id = tests.get_supabase_uid('paris');
select public.refresh_stale_stats('2026-03-28 12:00+00');
select public.refresh_stale_stats('2026-03-29 00:59:59+00');
select is((select stats_day from public.profiles where id = tests.get_supabase_uid('paris')), date '2026-03-28',
  'Paris, spring forward, day_start 2 (an hour that does not exist that night): not turned at 01:59:59 CET');
select public.refresh_stale_stats('2026-03-29 01:00+00');
select is((select stats_day from public.profiles where id = tests.get_supabase_uid('paris')), date '2026-03-29',
  '...turned at once when the clock jumps to 03:00 CEST');

-- a zone change moves the protocol day back: Kiritimati (UTC+14) to Pago Pago (UTC-11)
select public.refresh_stale_stats('2026-06-10 14:00+00');
select is((select stats_day from public.profiles where id = tests.get_supabase_uid('kiri')), date '2026-06-11',
  'at 14:00 UTC it is 04:00 on 11 June in Kiritimati');
update public.profiles set timezone = 'Pacific/Pago_Pago' where id = tests.get_supabase_uid('kiri');
select is(public.refresh_stale_stats('2026-06-10 14:00+00'), 1, 'moving to Pago Pago makes the member stale at once');
select is((select stats_day from public.profiles where id = tests.get_supabase_uid('kiri')), date '2026-06-10',
  '...and their day goes back to 10 June (03:00 there)');

-- a day_start change: UTC at 01:00
select public.refresh_stale_stats('2026-06-10 01:00+00');
update public.profiles set day_start = 3 where id = tests.get_supabase_uid('utc');
select is(public.refresh_stale_stats('2026-06-10 01:00+00'), 1,
  'day_start 0 -> 3 at 01:00: the member is back on 9 June and refreshed');
update public.profiles set day_start = 1 where id = tests.get_supabase_uid('utc');
select is(public.refresh_stale_stats('2026-06-10 01:00+00'), 1, 'day_start 3 -> 1 at 01:00: on 10 June again');
update public.profiles set day_start = 0 where id = tests.get_supabase_uid('utc');
select is(public.refresh_stale_stats('2026-06-10 01:00+00'), 0, 'day_start 1 -> 0 at 01:00: still 10 June, nothing to do');

-- ---------- queue_reminders = the per-member definition, every slot through the windows ----------
delete from auth.users;
-- 14 zones x 3 day_starts x 10 morning times (evening: 12 hours later); email on for half.
-- Per member, by hash: subscription active, past_due, cancelled or trial (half of the trials and
-- past_due end their trial on 5 April 2026 at 00:00 UTC, inside a window); each switch (push,
-- morning, evening) off for a quarter; a phone registered for half, no email address for an
-- eighth; on about half of the days around each window a session with the morning, the
-- evening, both or neither done. Both senders alive.
set local session_replication_role = replica;
insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data)
select gen_random_uuid(), 'authenticated', 'authenticated', 'r' || z.zone || ds || tm || '@test.invalid',
       jsonb_build_object('test_identifier', 'r|' || z.zone || '|' || ds || '|' || tm), '{}'
  from zone_list z, unnest(array[0, 3, 23]) ds,
       unnest(array['00:00', '00:10', '01:59', '02:00', '02:30', '03:00', '05:30', '11:50', '23:45', '23:50']) tm;
insert into public.profiles (id, email, timezone, day_start, morning_protocol_time, evening_review_time,
                             subscription_status, first_day)
select u.id, u.email, split_part(u.raw_user_meta_data ->> 'test_identifier', '|', 2),
       split_part(u.raw_user_meta_data ->> 'test_identifier', '|', 3)::smallint,
       split_part(u.raw_user_meta_data ->> 'test_identifier', '|', 4)::time,
       split_part(u.raw_user_meta_data ->> 'test_identifier', '|', 4)::time + interval '12 hours',
       (array['active', 'active', 'active', 'past_due', 'cancelled', 'trial', 'trial', 'trial'])[(hashtext(u.id::text || 's') & 7) + 1],
       '2026-01-01'
  from auth.users u;
update public.profiles set trial_ends_at = case when (hashtext(id::text || 't') & 1) = 0
                                                then timestamptz '2026-04-05 00:00+00' else timestamptz '2027-06-01 00:00+00' end;
insert into public.user_settings (id, push_notifications, morning_reminder, evening_reminder)
select id, (hashtext(id::text || 'p') & 3) <> 0, (hashtext(id::text || 'm') & 3) <> 0, (hashtext(id::text || 'e') & 3) <> 0
  from public.profiles;
insert into public.daily_sessions (user_id, date, morning_completed, evening_completed)
select p.id, x.d, (hashtext(p.id::text || x.d::text || 'm') & 1) = 0, (hashtext(p.id::text || x.d::text || 'e') & 1) = 0
  from public.profiles p, windows, generate_series(-2, 1) i, lateral (select windows.w + i as d) x
 where (hashtext(p.id::text || x.d::text) & 1) = 0;
set local session_replication_role = origin;
update public.user_settings set email_reminders = true where (hashtext(id::text) & 1) = 0;
update public.profiles set email = null where (hashtext(id::text || 'a') & 7) = 0;
insert into public.push_devices (user_id, subscription_id, platform)
select id, 'phone-' || member_number, 'ios' from public.profiles where (hashtext(id::text || 'd') & 1) = 0;
delete from private.reminder_senders;
insert into private.reminder_senders (channel, seen_at) values ('push', now()), ('email', now());
analyze public.profiles, public.user_settings, public.daily_sessions, public.notification_queue, public.push_devices;

do $$
declare
  instant timestamptz;
begin
  for instant in select i.t from instants i where i.on_slot order by 1 loop
    perform public.queue_reminders(instant + interval '3 minutes');
  end loop;
end
$$;
-- per member: the reminder time lies in [local slot start, +15 minutes) on the member's clock;
-- the first such slot of each protocol day queues it (the unique key keeps the others out), on
-- the member's one channel: push when push is on and a phone is registered, else email when
-- email is on and the account has an address; nobody behind the app's paywall (not active,
-- and the trial over)
select bag_eq(
  $$select user_id, kind, channel, protocol_day, scheduled_for from public.notification_queue$$,
  $$select distinct on (p.id, k.kind, x.day) p.id, k.kind, c.channel, x.day, x.at
      from instants s cross join public.profiles p join public.user_settings st on st.id = p.id
     cross join lateral (select s.t + interval '3 minutes' as at,
                                public.protocol_day(s.t + interval '3 minutes', p.timezone, p.day_start) as day) x
     cross join lateral (values ('morning_reminder', p.morning_protocol_time, st.morning_reminder),
                                ('evening_reminder', p.evening_review_time, st.evening_reminder)) k (kind, at, wanted)
     cross join lateral (select case when st.push_notifications
                                          and exists (select 1 from public.push_devices d where d.user_id = p.id) then 'push'
                                     when st.email_reminders and p.email is not null then 'email' end) c (channel)
     where s.on_slot and c.channel is not null and k.wanted
       and k.at >= (s.t at time zone p.timezone)::time
       and (k.at < (s.t at time zone p.timezone)::time + interval '15 minutes'
            or (s.t at time zone p.timezone)::time >= time '23:45')
       and (p.subscription_status = 'active' or x.at < p.trial_ends_at)
       and not exists (select 1 from public.daily_sessions ds
                        where ds.user_id = p.id and ds.date = x.day
                          and case k.kind when 'morning_reminder' then ds.morning_completed else ds.evening_completed end)
     order by p.id, k.kind, x.day, x.at$$,
  'queue_reminders queues the same reminders as the per-member definition, in every slot of 9 DST windows in 14 zones, with paywalls, switches, phones, addresses and done parts');
select cmp_ok((select count(*)::int from public.notification_queue), '>', 1000, '...which are many');
select is((select count(*)::int from public.notification_queue q join public.profiles p on p.id = q.user_id
            where p.subscription_status <> 'active' and q.scheduled_for >= p.trial_ends_at), 0,
  'no reminder for a paywalled member (trial, past_due or cancelled, the trial over)');
select cmp_ok((select count(distinct p.id)::int from public.profiles p
                where p.subscription_status in ('trial', 'past_due', 'cancelled') and p.trial_ends_at < '2026-06-01'), '>', 20,
  '...among many paywalled members (some of them before 5 April, when their trial ran)');
select cmp_ok((select count(distinct p.subscription_status)::int from public.notification_queue q
                 join public.profiles p on p.id = q.user_id
                where p.subscription_status <> 'active' and p.trial_ends_at = '2026-04-05 00:00+00'), '=', 3,
  '...whose reminders came while the trial ran (trial, past_due and cancelled alike)');
select is((select count(*)::int from public.notification_queue q join public.profiles p on p.id = q.user_id
            where (q.channel = 'push' and not exists (select 1 from public.push_devices d where d.user_id = q.user_id))
               or (q.channel = 'email' and p.email is null)), 0,
  'no push reminder without a phone, no email reminder without an address');
select results_eq($$select channel, count(distinct user_id) > 50 from public.notification_queue group by 1 order by 1$$,
  $$values ('email'::text, true), ('push', true)$$, '...while many members get each channel');
select is((select count(*)::int from (select 1 from public.notification_queue group by user_id, kind, protocol_day
                                       having count(*) > 1) x), 0, 'never two channels for one reminder');
select is((select count(*)::int from public.notification_queue q join public.daily_sessions s
             on s.user_id = q.user_id and s.date = q.protocol_day
            where case q.kind when 'morning_reminder' then s.morning_completed else s.evening_completed end), 0,
  'no reminder for a part of the day already done');
select cmp_ok((select count(*)::int from public.notification_queue q join public.daily_sessions s
                on s.user_id = q.user_id and s.date = q.protocol_day), '>', 100,
  '...while members with the other part done, or a session with nothing done, are reminded');
select is((select count(*)::int from public.notification_queue q join public.user_settings st on st.id = q.user_id
            where (q.channel = 'push' and not st.push_notifications) or (q.channel = 'email' and not st.email_reminders)
               or (q.kind = 'morning_reminder' and not st.morning_reminder) or (q.kind = 'evening_reminder' and not st.evening_reminder)), 0,
  'no reminder on a channel or for a part the member switched off');
select is((select count(*)::int from public.notification_queue
            where deep_link <> case kind when 'morning_reminder' then 'chrisapp://open/morning' else 'chrisapp://open/evening' end
               or status <> 'pending' or attempts <> 0), 0,
  'each row as the dispatcher reads it: the deep link of its kind, pending, no attempt yet');

-- the same slots again (a re-run, or a second runner): nothing more
create temp table queued_once on commit drop as select * from public.notification_queue;
do $$
declare
  instant timestamptz;
  more integer := 0;
begin
  for instant in select i.t from instants i where i.on_slot order by 1 loop
    more := more + public.queue_reminders(instant + interval '3 minutes');
  end loop;
  perform set_config('tests.requeued', more::text, true);
end
$$;
select is(current_setting('tests.requeued')::int, 0, 'running every slot again queues nothing');
select bag_eq($$select * from public.notification_queue$$, $$select * from queued_once$$,
  '...and leaves the queue as it was');

-- the repeated hour of a fall back reminds once; a zone change moves the reminder
delete from auth.users;
select tests.create_supabase_user('twice');
update public.profiles set timezone = 'Europe/Paris', morning_protocol_time = '02:30', subscription_status = 'active'
 where id = tests.get_supabase_uid('twice');
insert into public.push_devices (user_id, subscription_id, platform) values (tests.get_supabase_uid('twice'), 'twice-phone', 'ios');
select is(public.queue_reminders('2026-10-25 00:30+00') + public.queue_reminders('2026-10-25 01:30+00'), 1,
  'a 02:30 reminder on the fall-back night (02:30 comes twice) is queued once');
update public.profiles set timezone = 'America/New_York' where id = tests.get_supabase_uid('twice');
select is(public.queue_reminders('2026-10-26 01:30+00'), 0, 'after moving to New York, not at 02:30 Paris time');
select is(public.queue_reminders('2026-10-26 06:30+00'), 1, '...but at 02:30 New York time');

-- ---------- the member reference without a per-row foreign key ----------
select is((select count(*)::int from pg_constraint
            where conrelid = 'public.notification_queue'::regclass and contype = 'f'), 0,
  'notification_queue has no per-row foreign key any more');
select has_trigger('public', 'notification_queue', 'notification_queue_members_exist',
  'its inserts are checked per statement');
select has_trigger('public', 'profiles', 'profiles_drop_notifications', 'deleting a member deletes their reminders');
delete from auth.users;
select tests.create_supabase_user(n) from unnest(array['kept', 'gone']) n;
update public.profiles set timezone = 'UTC', morning_protocol_time = '07:00', subscription_status = 'active';
insert into public.push_devices (user_id, subscription_id, platform) select id, 'phone-' || member_number, 'ios' from public.profiles;
select is(public.queue_reminders('2026-06-10 07:05+00'), 2, 'two members, two reminders');
select throws_ok($$insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
                   values (gen_random_uuid(), 'morning_reminder', 'push', '2026-06-10', 'chrisapp://open/morning', now())$$,
  '23503', null, 'a reminder for someone who is not a member is refused');
select throws_ok($$insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
                   select p.id, 'evening_reminder', 'push', date '2026-06-10', 'chrisapp://open/evening', now() from public.profiles p
                   union all select gen_random_uuid(), 'evening_reminder', 'push', date '2026-06-10', 'chrisapp://open/evening', now()$$,
  '23503', null, '...also among members in one statement');
select throws_ok(format($$update public.notification_queue set user_id = %L where user_id = %L$$,
                        tests.get_supabase_uid('kept'), tests.get_supabase_uid('gone')),
  '23503', null, 'a queued reminder cannot move to another member');
delete from auth.users where id = tests.get_supabase_uid('gone');
select results_eq($$select user_id from public.notification_queue$$, array[tests.get_supabase_uid('kept')],
  'a deleted member''s reminders are deleted with them, the others stay');
truncate public.profiles cascade;
select is_empty($$select 1 from public.notification_queue$$, 'emptying profiles empties the queue');

select * from finish();
rollback;
