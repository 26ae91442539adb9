-- Row level security and column privileges: profiles, settings, leaderboard.
begin;
select plan(30);

select tests.create_supabase_user('owner');
select tests.create_supabase_user('stranger');
select tests.create_supabase_user('champion');
update public.profiles set leaderboard_opt_in = true, display_name = 'Champ', current_streak = 12
 where id = tests.get_supabase_uid('champion');
update public.profiles set current_streak = 30 where id = tests.get_supabase_uid('owner');
select member_code as champion_code from public.profiles where id = tests.get_supabase_uid('champion') \gset

select tests.rls_enabled('public');

-- ---------- anonymous ----------
select tests.authenticate_as_anon();
select throws_ok('select * from public.profiles', '42501', 'permission denied for table profiles',
  'anon cannot read profiles');
select throws_ok('select * from public.user_settings', '42501', 'permission denied for table user_settings',
  'anon cannot read settings');
select throws_ok('select display_name from public.leaderboard', '42501', 'permission denied for table leaderboard',
  'anon cannot read the leaderboard');
select throws_ok($$update public.profiles set full_name = 'x'$$, '42501', 'permission denied for table profiles',
  'anon cannot update profiles');

-- ---------- the owner ----------
select tests.authenticate_as('owner');
select results_eq('select id from public.profiles', array[tests.get_supabase_uid('owner')],
  'a member sees only their own profile');
select results_eq('select id from public.user_settings', array[tests.get_supabase_uid('owner')],
  'a member sees only their own settings');
select lives_ok($$update public.profiles set full_name = 'Owen', display_name = 'O', timezone = 'Asia/Tokyo',
                  day_start = 4, morning_protocol_time = '06:00', evening_review_time = '21:30',
                  leaderboard_opt_in = false where id = auth.uid()$$,
  'a member can change their preferences');
select is((select timezone from public.profiles where id = auth.uid()), 'Asia/Tokyo', 'the change is stored');
select throws_ok($$update public.profiles set subscription_status = 'active' where id = auth.uid()$$,
  '42501', 'permission denied for table profiles', 'a member cannot make themselves a paying member');
select throws_ok($$update public.profiles set trial_ends_at = 'infinity' where id = auth.uid()$$,
  '42501', 'permission denied for table profiles', 'a member cannot extend their trial');
select throws_ok($$update public.profiles set stripe_customer_id = 'cus_x' where id = auth.uid()$$,
  '42501', 'permission denied for table profiles', 'a member cannot set a Stripe customer');
select throws_ok($$update public.profiles set current_streak = 999 where id = auth.uid()$$,
  '42501', 'permission denied for table profiles', 'a member cannot set their streak');
select throws_ok($$update public.profiles set completion_rate = 100 where id = auth.uid()$$,
  '42501', 'permission denied for table profiles', 'a member cannot set their statistics');
select throws_ok($$update public.profiles set member_number = 1 where id = auth.uid()$$,
  '42501', 'permission denied for table profiles', 'a member cannot change their member number');
select throws_ok($$update public.profiles set first_day = '2000-01-01' where id = auth.uid()$$,
  '42501', 'permission denied for table profiles', 'a member cannot move their first day');
select throws_ok($$insert into public.profiles (id, first_day) values (gen_random_uuid(), current_date)$$,
  '42501', 'permission denied for table profiles', 'a member cannot create profiles');
select throws_ok($$delete from public.profiles$$,
  '42501', 'permission denied for table profiles', 'a member cannot delete profiles');
select lives_ok($$update public.user_settings set theme = 'dark', push_notifications = false where id = auth.uid()$$,
  'a member can change their settings');
select throws_ok($$update public.user_settings set theme = 'neon' where id = auth.uid()$$,
  '23514', null, 'theme is light, dark or system');

-- ---------- another member ----------
select tests.authenticate_as('stranger');
select is_empty(format($$select 1 from public.profiles where id = '%s'$$, tests.get_supabase_uid('owner')),
  'a member cannot read another member''s profile');
select is_empty(format($$update public.profiles set full_name = 'hacked' where id = '%s' returning 1$$,
                       tests.get_supabase_uid('owner')),
  'a member cannot update another member''s profile (no row matches)');
select is_empty(format($$update public.user_settings set theme = 'light' where id = '%s' returning 1$$,
                       tests.get_supabase_uid('owner')),
  'a member cannot update another member''s settings');

-- ---------- the leaderboard: opt-in, narrow ----------
select results_eq('select display_name, member_code, current_streak from public.leaderboard',
  format($$values ('Champ'::text, '%s'::text, 12)$$, :'champion_code'),
  'only members who opted in appear, with display name, member number and streak');
select throws_ok('select user_id from public.leaderboard', '42501', 'permission denied for table leaderboard',
  'the leaderboard does not reveal account ids');
select throws_ok($$insert into public.leaderboard (user_id, display_name, member_code, current_streak)
                   values (auth.uid(), 'me', '001', 9999)$$,
  '42501', 'permission denied for table leaderboard', 'a member cannot write the leaderboard');
select tests.authenticate_as('owner');
update public.profiles set leaderboard_opt_in = true where id = auth.uid();
select results_eq($$select display_name, current_streak from public.leaderboard order by current_streak desc$$,
  $$values ('O'::text, 30), ('Champ'::text, 12)$$, 'opting in adds a member to the leaderboard');
update public.profiles set leaderboard_opt_in = false where id = auth.uid();
select results_eq('select display_name from public.leaderboard', array['Champ'],
  'opting out removes them');

-- ---------- service_role ----------
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.profiles where id in (tests.get_supabase_uid('owner'),
          tests.get_supabase_uid('stranger'), tests.get_supabase_uid('champion'))), 3,
  'service_role reads every profile');
select lives_ok(format($$update public.profiles set subscription_status = 'active' where id = '%s'$$,
                       tests.get_supabase_uid('owner')),
  'service_role can change subscription fields');

select * from finish();
rollback;
