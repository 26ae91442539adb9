-- Statistics on profiles (docs/rules.md): kept current by the session trigger, brought to the
-- truth at each member's own day boundary by the job. Expected values are written out.
begin;
select plan(29);

-- Inside this transaction (rolled back at the end) only this file's members exist, so the
-- counts the jobs return are about them, whatever else the database holds.
delete from auth.users;

-- ---------- protocol day ----------
select is(public.protocol_day('2026-03-10 00:40+01', 'Europe/Paris', 3), date '2026-03-09',
  'an evening review at 00:40 counts for the previous day');
select is(public.protocol_day('2026-03-10 05:30+01', 'Europe/Paris', 3), date '2026-03-10',
  'a morning protocol at 05:30 counts for today');
select is(public.protocol_day('2026-03-29 03:30+02', 'Europe/Paris', 3), date '2026-03-29',
  'on the spring-forward night the day starts at 03:00 on the member''s clock');
select is(public.protocol_day('2026-06-10 10:00+00', 'Pacific/Kiritimati', 0), date '2026-06-11',
  'the same instant is tomorrow in Kiritimati (UTC+14)...');
select is(public.protocol_day('2026-06-10 10:00+00', 'Pacific/Pago_Pago', 0), date '2026-06-09',
  '...and yesterday in Pago Pago (UTC-11)');

-- ---------- a member whose first day was 9 days ago ----------
select tests.create_supabase_user('m');
select tests.get_supabase_uid('m') as uid \gset
select public.protocol_day(now(), 'UTC', 0) as today \gset
update public.profiles set day_start = 0, first_day = :'today'::date - 9 where id = :'uid';

select tests.authenticate_as('m');
insert into public.daily_sessions (date, morning_completed, discipline_rating)
select :'today'::date - i, true, case i when 1 then 7 when 2 then 8 end from generate_series(1, 9) i;

select results_eq(format($$select current_streak, longest_streak, total_days_completed, completion_rate,
                                 average_discipline_rating, discipline_score
                            from public.profiles where id = '%s'$$, :'uid'),
  $$values (9, 9, 9, 100.00::numeric, 7.5::numeric, round(((1 - power(0.5, 9 / 13.0)) * 100)::numeric, 1))$$,
  'nine days done, today not yet: streak 9, rate 100 over the 9 days since joining (not /90), score 1-m^9');
select is((select discipline_score from public.profiles where id = :'uid'), 38.1::numeric,
  'that score is 38.1 %');

insert into public.daily_sessions (date, morning_completed) values (:'today'::date, true);
select results_eq(format($$select current_streak, completion_rate, discipline_score from public.profiles where id = '%s'$$, :'uid'),
  $$values (10, 100.00::numeric, round(((1 - power(0.5, 10 / 13.0)) * 100)::numeric, 1))$$,
  'completing today extends the streak to 10 and the window to today');

update public.daily_sessions set morning_completed = false where date = :'today'::date - 5;
select results_eq(format($$select current_streak, longest_streak, total_days_completed, completion_rate
                            from public.profiles where id = '%s'$$, :'uid'),
  $$values (5, 5, 9, 90.00::numeric)$$,
  'un-completing a day in the middle splits the run: streak 5, longest 5, rate 9/10');

update public.daily_sessions set morning_completed = true where date = :'today'::date - 5;
select results_eq(format($$select current_streak, longest_streak, total_days_completed from public.profiles where id = '%s'$$, :'uid'),
  $$values (10, 10, 10)$$, 'completing it again merges the runs back');

update public.daily_sessions set discipline_rating = 10 where date = :'today'::date - 1;
select is((select average_discipline_rating from public.profiles where id = :'uid'), 9.0::numeric,
  'a rating change updates the average (10 and 8)');

-- the incremental state agrees with a rebuild from scratch
select tests.clear_authentication();
select current_streak || '/' || longest_streak || '/' || total_days_completed || '/' || completion_rate
       || '/' || average_discipline_rating || '/' || discipline_score as incremental
  from public.profiles where id = :'uid' \gset
select private.rebuild_member_stats(:'uid');
select is((select current_streak || '/' || longest_streak || '/' || total_days_completed || '/' || completion_rate
                  || '/' || average_discipline_rating || '/' || discipline_score from public.profiles where id = :'uid'),
  :'incremental', 'incremental statistics equal a rebuild from scratch');

-- ---------- first day, nothing completed ----------
select tests.create_supabase_user('newbie');
select results_eq(format($$select current_streak, completion_rate, average_discipline_rating, discipline_score
                            from private.compute_stats('%s', '%s')$$, tests.get_supabase_uid('newbie'),
                         (select first_day from public.profiles where id = tests.get_supabase_uid('newbie'))),
  $$values (0, 0::numeric, 0::numeric, 0::numeric)$$, 'a member in their first day with nothing done has rate 0');
select results_eq(format($$select completion_rate from private.compute_stats('%s', '%s')$$,
                         tests.get_supabase_uid('newbie'), :'today'::date + 1),
  $$values (0.00::numeric)$$, 'the day after joining with nothing done: 0 of 1 days');

-- ---------- the 90-day window ----------
update public.profiles set first_day = :'today'::date - 400 where id = :'uid';
select private.rebuild_member_stats(:'uid');
select results_eq(format($$select completion_rate, total_days_completed from public.profiles where id = '%s'$$, :'uid'),
  $$values (11.11::numeric, 10)$$, 'after 400 days the window is 90 days: 10/90 = 11.11');
select results_eq(format($$select completion_rate from private.compute_stats('%s', '%s')$$, :'uid', :'today'::date + 82),
  $$values (10.00::numeric)$$, '82 days on, not done: the window (today-8 .. today+81) holds 9 done days of 90 = 10.00');

-- ---------- the day-boundary job ----------
update public.profiles set first_day = :'today'::date - 9 where id = :'uid';
select private.rebuild_member_stats(:'uid');
select cmp_ok(public.refresh_stale_stats(now()), '>=', 1, 'members never refreshed (no session yet) are refreshed');
select is(public.refresh_stale_stats(now()), 0, 'nobody is refreshed while their day has not changed');
-- (10 days in a row earn one streak freeze, docs/rules.md#streak-freezes: the first missed day
-- is bridged, the second breaks the streak)
select cmp_ok(public.refresh_stale_stats(now() + interval '3 days'), '>=', 2,
  'three days later every member is refreshed');
select results_eq(format($$select current_streak, longest_streak, stats_day from public.profiles where id = '%s'$$, :'uid'),
  format($$values (0, 10, '%s'::date)$$, :'today'::date + 3),
  'two missed days break the streak (one freeze held), without any session row for them; longest stays');
select is(public.refresh_stale_stats(now() + interval '3 days'), 0, 'a second run in the same day changes nothing');
select is((select current_streak from public.profiles where id = :'uid'), 0, '...and the streak stays 0');

-- members are refreshed at their own day boundary, not at UTC midnight
update public.profiles set timezone = 'Pacific/Kiritimati', stats_day = null where id = tests.get_supabase_uid('newbie');
update public.profiles set stats_day = null where id = :'uid';
select is(public.refresh_stale_stats('2026-06-10 09:00+00'), 2, 'both members settle on 10 June');
select is(public.refresh_stale_stats('2026-06-10 12:59+00'), 0,
  'at 12:59 UTC (02:59 on 11 June in Kiritimati, before its day_start 03:00) nothing turns');
select results_eq($$select public.refresh_stale_stats('2026-06-10 13:00+00')$$, array[1],
  'at 13:00 UTC (03:00 in Kiritimati, its day_start) only that member''s day turns');
select is((select stats_day from public.profiles where id = tests.get_supabase_uid('newbie')), date '2026-06-11',
  'the Kiritimati member is now on 11 June');
select is((select stats_day from public.profiles where id = :'uid'), date '2026-06-10',
  'the UTC member (day_start 0) is still on 10 June');

-- ---------- the library counter ----------
select tests.authenticate_as('m');
select id as action_id from public.violent_actions_library order by id limit 1 \gset
select times_completed as before_count from public.violent_actions_library where id = :'action_id' \gset
update public.daily_sessions set violent_action_id = :'action_id', action_completed = true
 where date = :'today'::date - 1;
select is((select times_completed from public.violent_actions_library where id = :'action_id'), :before_count + 1,
  'doing a library action counts it once');
update public.daily_sessions set discipline_rating = 3 where date = :'today'::date - 1;
select is((select times_completed from public.violent_actions_library where id = :'action_id'), :before_count + 1,
  'an unrelated edit does not count it again');

select * from finish();
rollback;
