-- Hardening (migrations/20261202000500_hardening.sql): strict object paths in the path columns
-- and the Storage policies, the AI quota on the UTC day, nothing in `private` for anon, and the
-- library counter counting each member-day once.
begin;
select plan(27);

delete from auth.users;
select tests.create_supabase_user('owner');
select tests.create_supabase_user('stranger');
select tests.get_supabase_uid('owner') as owner_id \gset
select tests.get_supabase_uid('stranger') as stranger_id \gset

-- ---------- object paths: the columns ----------
select tests.authenticate_as('owner');
select throws_ok(format($$insert into public.daily_sessions (date, recording_path) values (current_date - 1, '%s/../%s/x.ogg')$$,
                        :'owner_id', :'stranger_id'),
  '23514', 'new row for relation "daily_sessions" violates check constraint "recording_path_in_own_folder"',
  'a recording path climbing out of the member''s folder with .. is refused');
select throws_ok(format($$insert into public.daily_sessions (date, recording_path) values (current_date - 1, '%s/a\..\x.ogg')$$,
                        :'owner_id'),
  '23514', null, 'a recording path with backslashes is refused');
select throws_ok(format($$insert into public.daily_sessions (date, recording_path) values (current_date - 1, '%s//x.ogg')$$,
                        :'owner_id'),
  '23514', null, 'a recording path with an empty segment is refused');
select throws_ok(format($$insert into public.daily_sessions (date, recording_path) values (current_date - 1, '%s/')$$,
                        :'owner_id'),
  '23514', null, 'a recording path without a file name is refused');
select lives_ok(format($$insert into public.daily_sessions (date, recording_path) values (current_date - 1, '%s/%s-recording.ogg')$$,
                       :'owner_id', current_date - 1),
  'the path the app writes is accepted');
select throws_ok(format($$insert into public.vision_boards (position, image_path) values (1, '%s/../%s/a.jpg')$$,
                        :'owner_id', :'stranger_id'),
  '23514', 'new row for relation "vision_boards" violates check constraint "image_path_in_own_folder"',
  'a tile path climbing out with .. is refused');
select throws_ok(format($$insert into public.vision_boards (position, image_path) values (1, '%s/./a.jpg')$$, :'owner_id'),
  '23514', null, 'a tile path with a . segment is refused');
select lives_ok(format($$insert into public.vision_boards (position, image_path) values (1, '%s/1-abcdef12.jpg')$$, :'owner_id'),
  'the tile path the app writes is accepted');

-- ---------- object paths: Storage ----------
select throws_ok(format($$insert into storage.objects (bucket_id, name, owner) values ('recordings', '%s/../%s/x.ogg', auth.uid())$$,
                        :'owner_id', :'stranger_id'),
  '42501', 'new row violates row-level security policy for table "objects"',
  'an upload into <me>/../<other>/ is refused (the break-in attempt)');
select throws_ok(format($$insert into storage.objects (bucket_id, name, owner) values ('recordings', '%s/a\b.ogg', auth.uid())$$,
                        :'owner_id'),
  '42501', null, 'an upload with a backslash in its name is refused');
select throws_ok(format($$insert into storage.objects (bucket_id, name, owner) values ('vision-boards', '%s//a.jpg', auth.uid())$$,
                        :'owner_id'),
  '42501', null, 'an upload with an empty segment is refused');
select lives_ok(format($$insert into storage.objects (bucket_id, name, owner) values ('recordings', '%s/2026-11-25-recording.ogg', auth.uid())$$,
                       :'owner_id'),
  'a well-formed upload into the member''s own folder still works');
select is((select count(*)::int from storage.objects), 1, 'the member reads their own file');

-- ---------- the AI quota on the UTC day ----------
select tests.authenticate_as_service_role();
update public.profiles set timezone = 'UTC', day_start = 0 where id = :'owner_id';
select is(array[public.consume_ai_quota(:'owner_id', 'suggest_actions', 2),
                public.consume_ai_quota(:'owner_id', 'suggest_actions', 2),
                public.consume_ai_quota(:'owner_id', 'suggest_actions', 2)],
  array[true, true, false], 'two calls of a daily limit of 2, the third refused');
-- UTC+14 and UTC-11 are 25 hours apart: at any instant at least one of them is on another date
-- than UTC, with any day start.
update public.profiles set timezone = 'Pacific/Kiritimati', day_start = 0 where id = :'owner_id';
select is(public.consume_ai_quota(:'owner_id', 'suggest_actions', 2), false,
  'moving the time zone ahead to UTC+14 gives no more calls');
update public.profiles set timezone = 'Pacific/Pago_Pago', day_start = 23 where id = :'owner_id';
select is(public.consume_ai_quota(:'owner_id', 'suggest_actions', 2), false,
  'moving it back to UTC-11 with day start 23:00 gives no more calls either');
select results_eq(format($$select day, count from public.ai_usage where user_id = '%s' and feature = 'suggest_actions'$$, :'owner_id'),
  $$values ((now() at time zone 'UTC')::date, 2)$$,
  'the calls are counted on the UTC date, in one row');
select ok(public.refund_ai_quota(:'owner_id', 'suggest_actions'), 'a failed call gives its unit back');
select is(public.consume_ai_quota(:'owner_id', 'suggest_actions', 2), true, '...to the same UTC day');
select is(public.consume_ai_quota(:'stranger_id', 'suggest_actions', 0), false, 'a limit of 0 allows nothing');

-- ---------- nothing in private for anon ----------
select is_empty($$select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                   where n.nspname = 'private' and has_function_privilege('anon', p.oid, 'execute')$$,
  'anon can execute no function in private');
select is((select array_agg(p.proname::text order by p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'private' and has_function_privilege('authenticated', p.oid, 'execute')),
  array['client_time', 'enforce_rate_limit', 'jsonb_pick', 'object_path_ok', 'reminder_reachability', 'sender_alive',
        'sync_apply_affirmation', 'sync_apply_fields', 'sync_apply_profile', 'sync_apply_session',
        'sync_apply_settings', 'sync_apply_tile', 'sync_current', 'take_rate_token'],
  'members may execute only what sync_push, sync_pull and the path checks run (rate limits: 20-rate-limits.sql)');
select tests.authenticate_as_anon();
select throws_ok($$select private.sender_alive('push')$$, '42501', null, 'anon cannot call a private function');

-- ---------- the library counter: each member-day once ----------
select tests.clear_authentication();
select id as action_id from public.violent_actions_library order by id limit 1 \gset
select id as other_action_id from public.violent_actions_library order by id desc limit 1 \gset
select times_completed as before_count from public.violent_actions_library where id = :'action_id' \gset
select times_completed as other_before from public.violent_actions_library where id = :'other_action_id' \gset
select tests.authenticate_as('owner');
update public.daily_sessions set violent_action_id = :'action_id', action_completed = true where date = current_date - 1;
update public.daily_sessions set action_completed = false where date = current_date - 1;
update public.daily_sessions set action_completed = true where date = current_date - 1;
select is((select times_completed from public.violent_actions_library where id = :'action_id'), :before_count + 1,
  'completing, un-completing and completing the same day again counts it once');
update public.daily_sessions set violent_action_id = :'other_action_id' where date = current_date - 1;
select is(array[(select times_completed from public.violent_actions_library where id = :'action_id'),
                (select times_completed from public.violent_actions_library where id = :'other_action_id')],
  array[:before_count, :other_before + 1], 'choosing another action moves the day''s count to it');
insert into public.daily_sessions (date, violent_action_id, action_completed) values (current_date - 2, :'other_action_id', true);
select is((select times_completed from public.violent_actions_library where id = :'other_action_id'), :other_before + 2,
  'a second day counts once more');
select tests.clear_authentication();  -- members do not delete days; account deletion does
delete from public.daily_sessions where user_id = :'owner_id' and date = current_date - 2;
select is((select times_completed from public.violent_actions_library where id = :'other_action_id'), :other_before + 1,
  'a deleted day no longer counts');

select * from finish();
rollback;
