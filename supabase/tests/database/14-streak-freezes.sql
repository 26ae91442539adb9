-- Streak freezes (docs/rules.md#streak-freezes; migration streak_freezes): the columns, who may
-- write them, the walk kept by the session trigger, the leaderboard's bridged streak.
begin;
select plan(16);

delete from auth.users;

-- ---------- columns ----------
select has_column('public', 'profiles', 'freezes_held', 'profiles has freezes_held');
select col_type_is('public', 'profiles', 'freezes_held', 'integer', 'freezes_held is an integer');
select col_not_null('public', 'profiles', 'freezes_held', 'freezes_held is never null');
select has_column('public', 'profiles', 'frozen_days', 'profiles has frozen_days');
select col_type_is('public', 'profiles', 'frozen_days', 'date[]', 'frozen_days is a list of dates');
select has_table('private', 'streak_walk', 'the walk''s state is kept per completed day');

-- ---------- a member: 14 days done, then two missed, then today done ----------
select tests.create_supabase_user('f');
select tests.get_supabase_uid('f') as uid \gset
select public.protocol_day(now(), 'UTC', 0) as today \gset
update public.profiles set day_start = 0, timezone = 'UTC', first_day = :'today'::date - 16,
       leaderboard_opt_in = true, display_name = 'Frost' where id = :'uid';

select tests.authenticate_as('f');
insert into public.daily_sessions (date, morning_completed)
select :'today'::date - i, true from generate_series(3, 16) i;
select results_eq('select current_streak, freezes_held, frozen_days from public.profiles where id = auth.uid()',
  format($$values (14, 0, array['%s'::date - 2, '%s'::date - 1])$$, :'today', :'today'),
  '14 days in a row earn two freezes (the cap), spent at once on the two days missed since (today still open)');
insert into public.daily_sessions (date, morning_completed) values (:'today'::date - 2, false);
insert into public.daily_sessions (date, morning_completed) values (:'today', true);
select results_eq('select current_streak, longest_streak, freezes_held, total_days_completed from public.profiles where id = auth.uid()',
  $$values (15, 15, 0, 15)$$,
  'two missed days spend both freezes: the streak is kept and today extends it; frozen days are not completed');
select results_eq('select frozen_days from public.profiles where id = auth.uid()',
  format($$values (array['%s'::date - 2, '%s'::date - 1])$$, :'today', :'today'),
  'the two bridged days are the frozen days, oldest first');
select results_eq('select current_streak from public.leaderboard',
  $$values (15)$$, 'the leaderboard shows the bridged streak');

-- ---------- members cannot write them ----------
select throws_ok($$update public.profiles set freezes_held = 2 where id = auth.uid()$$,
  '42501', 'permission denied for table profiles', 'a member cannot give themselves freezes');
select throws_ok($$update public.profiles set frozen_days = '{}' where id = auth.uid()$$,
  '42501', 'permission denied for table profiles', 'a member cannot set their frozen days');
select throws_ok('select * from private.streak_walk', '42501', null,
  'members cannot read the walk''s state');
select throws_ok(format($$select private.rewalk_from('%s', current_date)$$, :'uid'), '42501', null,
  'members cannot run the walk');

-- ---------- a late day: the missed day synced completed after its freeze was spent ----------
update public.daily_sessions set morning_completed = true where date = :'today'::date - 2;
select results_eq('select current_streak, freezes_held, frozen_days from public.profiles where id = auth.uid()',
  format($$values (16, 1, array['%s'::date - 1])$$, :'today'),
  'the late day gives its freeze back: one frozen day left, one freeze held, streak 16');

select tests.clear_authentication();
select throws_ok($$update public.profiles set freezes_held = 3 where id = tests.get_supabase_uid('f')$$,
  '23514', null, 'at most 2 freezes are held');

select * from finish();
rollback;
