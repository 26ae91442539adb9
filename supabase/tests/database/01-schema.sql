-- Schema: tables, the seed library, constraints and the sign-up trigger.
begin;
select plan(51);

-- ---------- tables and seed ----------
select has_table('public', t, format('table public.%s exists', t))
  from unnest(array['profiles', 'user_settings', 'daily_sessions', 'affirmations', 'vision_boards',
                    'violent_actions_library', 'notification_queue', 'last_seen',
                    'stripe_events_processed', 'ai_usage', 'sync_ops', 'leaderboard']) t;

select cmp_ok((select count(*)::int from public.violent_actions_library), '>=', 40,
  'the seed loads at least 40 violent actions');
select set_eq('select distinct category from public.violent_actions_library',
  array['business', 'personal', 'relationship', 'health'], 'every category has actions');
select is((select count(*)::int from public.violent_actions_library where difficulty_level not between 1 and 10
             or char_length(action) = 0), 0, 'every seeded action has a difficulty 1..10 and a text');
select throws_ok($$insert into public.violent_actions_library (category, action, difficulty_level)
                   values ('finance', 'x', 5)$$, '23514', null, 'library categories are limited');
select throws_ok($$insert into public.violent_actions_library (category, action, difficulty_level)
                   values ('health', 'x', 11)$$, '23514', null, 'library difficulty is 1..10');

-- ---------- sign-up trigger ----------
-- auth.users rows are written by supabase_auth_admin, which has no rights on public: the
-- trigger must work for it (SECURITY DEFINER).
set local role supabase_auth_admin;
insert into auth.users (id, email, raw_user_meta_data)
values ('00000000-0000-4000-8000-00000000000a', 'ann@test.invalid',
        '{"full_name": "Ann", "timezone": "Europe/Paris", "test_identifier": "ann"}');
reset role;
select is((select timezone from public.profiles where id = '00000000-0000-4000-8000-00000000000a'),
  'Europe/Paris', 'sign-up creates the profile with the time zone from sign-up metadata');
select is((select count(*)::int from public.user_settings where id = '00000000-0000-4000-8000-00000000000a'),
  1, 'sign-up creates the settings row');
select is((select (subscription_status, first_day, day_start)::text from public.profiles
            where id = '00000000-0000-4000-8000-00000000000a'),
  (select ('trial', public.protocol_day(now(), 'Europe/Paris', 3), 3)::text),
  'a new member is on trial, with first_day = protocol day of sign-up and day_start 3');
select ok((select trial_ends_at = created_at + interval '14 days' from public.profiles
            where id = '00000000-0000-4000-8000-00000000000a'), 'the trial lasts 14 days');

select tests.create_supabase_user('bob', null, '{"timezone": "Not/AZone"}');
select is((select timezone from public.profiles where id = tests.get_supabase_uid('bob')), 'UTC',
  'an invalid time zone in sign-up metadata falls back to UTC instead of failing sign-up');

-- ---------- member numbers ----------
select is((select member_number from public.profiles where id = tests.get_supabase_uid('bob')),
          (select member_number + 1 from public.profiles where id = '00000000-0000-4000-8000-00000000000a'),
  'member numbers come from a sequence in sign-up order');
select is((select member_code from public.profiles where id = tests.get_supabase_uid('bob')),
          lpad((select member_number from public.profiles where id = tests.get_supabase_uid('bob'))::text, 3, '0'),
  'member codes are zero-padded to 3 digits');
update public.profiles set member_number = 1234 where id = tests.get_supabase_uid('bob');
select is((select member_code from public.profiles where id = tests.get_supabase_uid('bob')), '1234',
  'a member number above 999 is shown whole, not truncated');
select throws_ok($$update public.profiles set member_number = 1234
                    where id = '00000000-0000-4000-8000-00000000000a'$$,
  '23505', null, 'member numbers are unique');

-- ---------- profile constraints ----------
select throws_ok($$update public.profiles set timezone = 'Mars/Olympus' where id = tests.get_supabase_uid('bob')$$,
  '22023', 'invalid time zone: Mars/Olympus', 'an unknown time zone is rejected');
select throws_ok($$update public.profiles set timezone = 'PST' where id = tests.get_supabase_uid('bob')$$,
  '22023', 'invalid time zone: PST', 'an abbreviation is not an IANA time zone');
select throws_ok($$update public.profiles set day_start = 24 where id = tests.get_supabase_uid('bob')$$,
  '23514', null, 'day_start is an hour 0..23');
select throws_ok($$update public.profiles set subscription_status = 'free' where id = tests.get_supabase_uid('bob')$$,
  '23514', null, 'subscription_status is one of trial/active/past_due/cancelled');
select throws_ok($$update public.profiles set display_name = repeat('x', 41) where id = tests.get_supabase_uid('bob')$$,
  '23514', null, 'display names are at most 40 characters');

-- ---------- updated_at ----------
update public.profiles set updated_at = '2020-01-01', full_name = 'B' where id = tests.get_supabase_uid('bob');
select is((select updated_at from public.profiles where id = tests.get_supabase_uid('bob')), now(),
  'updated_at is set by trigger on every update (a client value is overwritten)');

-- ---------- daily_sessions ----------
select tests.authenticate_as('bob');
select lives_ok($$insert into public.daily_sessions (id, date, discipline_rating)
                  values ('00000000-0000-4000-8000-0000000000b1', current_date - 1, 10)$$,
  'a member can save a session for a day with rating 10');
select throws_ok($$insert into public.daily_sessions (date, discipline_rating) values (current_date - 2, 11)$$,
  '23514', null, 'discipline ratings above 10 are rejected');
select throws_ok($$insert into public.daily_sessions (date, discipline_rating) values (current_date - 2, 0)$$,
  '23514', null, 'discipline ratings below 1 are rejected');
select throws_ok($$insert into public.daily_sessions (date) values (current_date - 1)$$,
  '23505', null, 'one session per member per day');
select throws_ok($$insert into public.daily_sessions (date, biggest_win) values (current_date - 2, repeat('w', 1001))$$,
  '23514', null, 'biggest_win is at most 1000 characters');
select throws_ok($$insert into public.daily_sessions (date, recording_path)
                   values (current_date - 2, '00000000-0000-4000-8000-00000000000a/x.ogg')$$,
  '23514', 'new row for relation "daily_sessions" violates check constraint "recording_path_in_own_folder"',
  'a session cannot point at a recording in another member''s folder');
select throws_ok($$insert into public.daily_sessions (date) values (current_date + 5)$$,
  '22008', null, 'a session date in the future is rejected');
select throws_ok($$update public.daily_sessions set date = current_date - 3
                    where id = '00000000-0000-4000-8000-0000000000b1'$$,
  '42501', 'permission denied for table daily_sessions', 'a member cannot move a session to another day');

-- ---------- affirmations: versions and exactly one active ----------
insert into public.affirmations (id, content) values ('00000000-0000-4000-8000-0000000000c1', 'I keep my word.');
insert into public.affirmations (id, content) values ('00000000-0000-4000-8000-0000000000c2', 'I act before I feel ready.');
select results_eq($$select version, is_active from public.affirmations order by version$$,
  $$values (1, false), (2, true)$$,
  'versions are numbered 1, 2 by the server and the newest is the only active one');
select throws_ok($$insert into public.affirmations (content, version) values ('x', 7)$$,
  '42501', 'permission denied for table affirmations', 'a member cannot choose a version number');
update public.affirmations set is_active = true where id = '00000000-0000-4000-8000-0000000000c1';
select results_eq($$select version, is_active from public.affirmations order by version$$,
  $$values (1, true), (2, false)$$, 'activating an old version retires the active one');
select throws_ok($$update public.affirmations set is_active = false where id = '00000000-0000-4000-8000-0000000000c1'$$,
  '22023', 'one version must stay active: activate another version instead',
  'the active version cannot simply be switched off');
select throws_ok($$update public.affirmations set content = 'edited' where id = '00000000-0000-4000-8000-0000000000c1'$$,
  '42501', 'permission denied for table affirmations', 'a saved version''s text cannot be edited');
select tests.clear_authentication();
select throws_ok($$insert into public.affirmations (user_id, version, content, is_active)
                   select user_id, 9, 'x', true from public.affirmations limit 1$$,
  '23505', null, 'even bypassing the trigger logic, two active versions are impossible (unique index)')
  from (select set_config('session_replication_role', 'replica', true)) s;
select set_config('session_replication_role', 'origin', true);

-- ---------- vision boards ----------
select tests.authenticate_as('bob');
select throws_ok(format($$insert into public.vision_boards (position, image_path) values (9, '%s/a.jpg')$$,
                        tests.get_supabase_uid('bob')),
  '23514', null, 'vision board positions stop at 8');
select throws_ok(format($$insert into public.vision_boards (position, image_path) values (0, '%s/a.jpg')$$,
                        tests.get_supabase_uid('bob')),
  '23514', null, 'vision board positions start at 1');
select lives_ok(format($$insert into public.vision_boards (position, image_path, caption) values (8, '%s/a.jpg', 'Home')$$,
                       tests.get_supabase_uid('bob')), 'position 8 with a caption is fine');
select throws_ok(format($$insert into public.vision_boards (position, image_path) values (8, '%s/b.jpg')$$,
                        tests.get_supabase_uid('bob')),
  '23505', null, 'one tile per position');
select throws_ok(format($$insert into public.vision_boards (position, image_path, caption) values (1, '%s/a.jpg', repeat('c', 141))$$,
                        tests.get_supabase_uid('bob')),
  '23514', null, 'captions are at most 140 characters');

select * from finish();
rollback;
