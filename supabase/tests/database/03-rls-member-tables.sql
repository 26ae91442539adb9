-- Row level security on the member-owned tables, the library and the service tables:
-- anonymous, the owner, another member, service_role.
begin;
select plan(40);

select tests.create_supabase_user('owner');
select tests.create_supabase_user('stranger');
select tests.get_supabase_uid('owner') as owner_id \gset
select tests.get_supabase_uid('stranger') as stranger_id \gset

insert into public.daily_sessions (id, user_id, date, morning_completed)
values ('00000000-0000-4000-8000-0000000000d1', :'owner_id', current_date - 1, true);
insert into public.affirmations (id, user_id, content) values ('00000000-0000-4000-8000-0000000000e1', :'owner_id', 'Mine');
insert into public.vision_boards (id, user_id, position, image_path)
values ('00000000-0000-4000-8000-0000000000f1', :'owner_id', 1, :'owner_id' || '/1.jpg');
insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
values (:'owner_id', 'morning_reminder', 'push', current_date, 'chrisapp://open/morning', now());
insert into public.ai_usage (user_id, day, feature, count) values (:'owner_id', current_date, 'suggest_actions', 2);
insert into public.stripe_events_processed (event_id, event_type, event_created, outcome)
values ('evt_1', 'invoice.paid', now(), 'applied');

-- ---------- anonymous: nothing at all ----------
select tests.authenticate_as_anon();
select throws_ok(format('select * from public.%I', t), '42501', format('permission denied for table %s', t),
                 format('anon cannot read %s', t))
  from unnest(array['daily_sessions', 'affirmations', 'vision_boards', 'violent_actions_library',
                    'notification_queue', 'last_seen', 'ai_usage', 'sync_ops', 'stripe_events_processed']) t;
select throws_ok($$insert into public.daily_sessions (user_id, date) values ('00000000-0000-4000-8000-00000000000a', current_date)$$,
  '42501', 'permission denied for table daily_sessions', 'anon cannot write sessions');

-- ---------- the owner ----------
select tests.authenticate_as('owner');
select results_eq('select id from public.daily_sessions', $$values ('00000000-0000-4000-8000-0000000000d1'::uuid)$$,
  'the owner reads their sessions');
select lives_ok($$update public.daily_sessions set discipline_rating = 8, evening_completed = true
                   where id = '00000000-0000-4000-8000-0000000000d1'$$, 'the owner updates their session');
select lives_ok($$insert into public.daily_sessions (date) values (current_date - 2)$$,
  'the owner adds a session (user_id defaults to auth.uid())');
select throws_ok($$delete from public.daily_sessions$$, '42501', 'permission denied for table daily_sessions',
  'sessions are history: members do not delete them');
select results_eq('select content from public.affirmations', array['Mine'], 'the owner reads their affirmations');
select results_eq('select position::int from public.vision_boards', array[1], 'the owner reads their vision board');
select lives_ok($$update public.vision_boards set caption = 'Beach', deleted_at = now() where position = 1$$,
  'the owner edits and removes a tile (tombstone)');
select is((select count(*)::int from public.notification_queue), 1, 'the owner sees their own reminders');
select throws_ok($$update public.notification_queue set status = 'sent'$$, '42501',
  'permission denied for table notification_queue', 'members cannot change the reminder queue');
select is((select count(*)::int from public.ai_usage), 1, 'the owner sees their AI usage');
select throws_ok($$update public.ai_usage set count = 0$$, '42501', 'permission denied for table ai_usage',
  'members cannot reset their AI quota');
select throws_ok('select * from public.stripe_events_processed', '42501',
  'permission denied for table stripe_events_processed', 'members cannot read processed Stripe events');
select lives_ok($$insert into public.last_seen (client_id, platform) values ('00000000-0000-4000-8000-000000000001', 'linux')$$,
  'the owner records a device');
select cmp_ok((select count(*)::int from public.violent_actions_library), '>=', 40, 'signed-in members read the library');
select throws_ok($$update public.violent_actions_library set difficulty_level = 1$$, '42501',
  'permission denied for table violent_actions_library', 'members cannot rewrite the library');
select throws_ok($$insert into public.violent_actions_library (category, action) values ('health', 'x')$$, '42501',
  'permission denied for table violent_actions_library', 'members cannot add to the library');
select throws_ok($$delete from public.violent_actions_library$$, '42501',
  'permission denied for table violent_actions_library', 'members cannot delete from the library');

-- ---------- another member ----------
select tests.authenticate_as('stranger');
select is_empty('select 1 from public.daily_sessions', 'a stranger sees none of the owner''s sessions');
select is_empty('select 1 from public.affirmations', 'a stranger sees none of the owner''s affirmations');
select is_empty('select 1 from public.vision_boards', 'a stranger sees none of the owner''s tiles');
select is_empty('select 1 from public.notification_queue', 'a stranger sees none of the owner''s reminders');
select is_empty('select 1 from public.last_seen', 'a stranger sees none of the owner''s devices');
select is_empty('select 1 from public.ai_usage', 'a stranger sees none of the owner''s AI usage');
select is_empty($$update public.daily_sessions set discipline_rating = 1 returning 1$$,
  'a stranger cannot update the owner''s sessions');
select is_empty($$update public.vision_boards set caption = 'x' returning 1$$,
  'a stranger cannot update the owner''s tiles');
select throws_ok(format($$insert into public.daily_sessions (user_id, date) values ('%s', current_date - 3)$$, :'owner_id'),
  '42501', 'new row violates row-level security policy for table "daily_sessions"',
  'a stranger cannot add a session to the owner''s history');
select throws_ok(format($$insert into public.affirmations (user_id, content) values ('%s', 'yours now')$$, :'owner_id'),
  '42501', 'new row violates row-level security policy for table "affirmations"',
  'a stranger cannot add affirmations for the owner');
select throws_ok(format($$insert into public.vision_boards (user_id, position, image_path) values ('%s', 2, '%s/x.jpg')$$,
                        :'owner_id', :'owner_id'),
  '42501', 'new row violates row-level security policy for table "vision_boards"',
  'a stranger cannot add tiles to the owner''s board');

-- ---------- service_role ----------
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.daily_sessions where user_id = :'owner_id'), 2,
  'service_role reads every member''s sessions');
select lives_ok($$update public.violent_actions_library set difficulty_level = difficulty_level$$,
  'service_role maintains the library');

select * from finish();
rollback;
