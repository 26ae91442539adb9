-- Sync RPCs: idempotent pushes, per-row rejects, per-group merge, natural keys, RLS.
-- (The pull cursor against late commits needs real concurrent transactions: tests/db/test_db_sync.py.)
begin;
select plan(30);

select tests.create_supabase_user('owner');
select tests.create_supabase_user('stranger');
select tests.get_supabase_uid('owner') as owner_id \gset

select ok(not prosecdef, format('%s is SECURITY INVOKER (RLS applies)', proname))
  from pg_proc where proname in ('sync_push', 'sync_pull') and pronamespace = 'public'::regnamespace;

select tests.authenticate_as_anon();
select throws_ok($$select public.sync_push('{}', gen_random_uuid(), 1)$$, '42501',
  'permission denied for function sync_push', 'anon cannot push');
select throws_ok($$select public.sync_pull(0)$$, '42501', 'permission denied for function sync_pull', 'anon cannot pull');

-- ---------- a first push from device A ----------
select tests.authenticate_as('owner');
select public.sync_push(jsonb_build_object(
  'daily_sessions', jsonb_build_array(
    jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a1', 'date', '2026-11-20',
                       'morning_completed', true, 'recording_path', :'owner_id' || '/2026-11-20-recording.ogg',
                       'recording_duration_ms', 61000, 'violent_action', 'Call the client',
                       'morning_updated_at', '2026-11-20T06:00:00Z'),
    jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a2', 'date', '2026-11-21',
                       'discipline_rating', 11, 'evening_updated_at', '2026-11-21T21:00:00Z'),
    jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a3', 'date', '2026-11-22',
                       'morning_completed', true, 'morning_updated_at', '2026-11-22T06:00:00Z')),
  'affirmations', jsonb_build_array(
    jsonb_build_object('id', '00000000-0000-4000-8000-0000000000b1', 'content', 'I keep my word.',
                       'is_active', true, 'updated_at', '2026-11-19T10:00:00Z'),
    jsonb_build_object('id', '00000000-0000-4000-8000-0000000000b2', 'content', 'I move first.',
                       'is_active', true, 'updated_at', '2026-11-20T10:00:00Z')),
  'vision_boards', jsonb_build_array(
    jsonb_build_object('id', '00000000-0000-4000-8000-0000000000c1', 'position', 3,
                       'image_path', :'owner_id' || '/tile-3.jpg', 'caption', 'Home', 'updated_at', '2026-11-19T10:00:00Z')),
  'user_settings', jsonb_build_object('theme', 'dark', 'updated_at', '2026-11-19T10:00:00Z'),
  'profile', jsonb_build_object('timezone', 'Europe/Paris', 'day_start', 4, 'updated_at', '2026-11-19T10:00:00Z')),
  '00000000-0000-4000-8000-00000000000a', 1) as push1 \gset

select is((:'push1'::jsonb ->> 'applied')::int, 7, 'seven rows applied');
select is(:'push1'::jsonb -> 'rejected',
  '[{"id": "00000000-0000-4000-8000-0000000000a2", "code": "23514", "table": "daily_sessions",
     "reason": "new row for relation \"daily_sessions\" violates check constraint \"daily_sessions_discipline_rating_check\"",
     "current": []}]'::jsonb,
  'the invalid rating comes back with its SQLSTATE, reason and the server''s rows for it (none); the rest of the batch applies');
select is(:'push1'::jsonb -> 'versions',
  '{"00000000-0000-4000-8000-0000000000b1": 1, "00000000-0000-4000-8000-0000000000b2": 2}'::jsonb,
  'affirmation versions are assigned by the server and returned');
select results_eq($$select date, morning_completed from public.daily_sessions order by date$$,
  $$values (date '2026-11-20', true), (date '2026-11-22', true)$$, 'the valid sessions are stored');
select is((select theme from public.user_settings), 'dark', 'settings applied');
select results_eq($$select timezone, day_start::int from public.profiles$$, $$values ('Europe/Paris'::text, 4)$$,
  'profile preferences applied');
select is((select total_days_completed from public.profiles), 2,
  'statistics follow the pushed sessions (refreshed once, at the end of the push)');
select is(current_setting('chris.deferred_stats', true), '', 'after a push nothing is left deferred');
insert into public.daily_sessions (date, morning_completed) values ('2026-11-23', true);
-- (these days lie before the member's first day, which this push does not move: counted in the
-- total, not walked for streaks, docs/rules.md#streak-freezes)
select is((select (total_days_completed, longest_streak)::text from public.profiles), '(3,0)',
  'a direct write after a push refreshes the statistics at once');
select tests.clear_authentication();
delete from public.daily_sessions where date = '2026-11-23';
select tests.authenticate_as('owner');

-- ---------- retries ----------
select updated_at as stored_at, change_xid::text as stored_xid from public.daily_sessions where date = '2026-11-20' \gset
select is(public.sync_push('{}', '00000000-0000-4000-8000-00000000000a', 1),
  :'push1'::jsonb || '{"replayed": true}', 'a retried op returns the stored result');
select is(public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a1', 'date', '2026-11-20',
                               'morning_completed', true, 'recording_path', :'owner_id' || '/2026-11-20-recording.ogg',
                               'recording_duration_ms', 61000, 'violent_action', 'Call the client',
                               'morning_updated_at', '2026-11-20T06:00:00Z'))),
            '00000000-0000-4000-8000-00000000000a', 2) -> 'unchanged', '1',
  'the same row pushed again under a new op id changes nothing');
select is((select change_xid::text from public.daily_sessions where date = '2026-11-20'), :'stored_xid',
  '...not even its change stamp (so pulls do not resend it)');

-- ---------- device B: the evening of the same day, created offline with its own id ----------
select is(public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000f1', 'date', '2026-11-20',
                               'morning_completed', false, 'evening_completed', true, 'discipline_rating', 8,
                               'biggest_win', 'Closed the deal', 'action_completed', true,
                               'morning_updated_at', '2026-11-20T05:00:00Z',
                               'evening_updated_at', '2026-11-20T21:00:00Z'))),
            '00000000-0000-4000-8000-00000000000b', 1) -> 'ids',
  '{"00000000-0000-4000-8000-0000000000f1": "00000000-0000-4000-8000-0000000000a1"}'::jsonb,
  'device B''s row for the same day is merged into the server''s row; its id is mapped');
select results_eq($$select morning_completed, recording_duration_ms, violent_action, evening_completed,
                           discipline_rating::int, biggest_win, action_completed
                      from public.daily_sessions where date = '2026-11-20'$$,
  $$values (true, 61000, 'Call the client'::text, true, 8, 'Closed the deal'::text, true)$$,
  'both devices keep their fields: A''s newer morning, B''s evening');
select is(public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a1', 'date', '2026-11-20',
                               'morning_completed', true, 'recording_duration_ms', 62000,
                               'morning_updated_at', '2026-11-20T07:00:00Z'))),
            '00000000-0000-4000-8000-00000000000a', 3) ->> 'applied', '1', 'a newer morning edit applies');
select results_eq($$select recording_duration_ms, discipline_rating::int from public.daily_sessions where date = '2026-11-20'$$,
  $$values (62000, 8)$$, '...and leaves the evening alone');

-- ---------- affirmations and tiles ----------
select is(public.sync_push(jsonb_build_object('affirmations', jsonb_build_array(
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000b1', 'content', 'Edited!',
                               'updated_at', '2026-11-25T10:00:00Z'))), '00000000-0000-4000-8000-00000000000a', 4)
          -> 'rejected' -> 0 ->> 'reason',
  'affirmation versions are immutable: save a new version instead',
  'editing a saved version''s text is rejected with a reason');
select is(public.sync_push(jsonb_build_object('vision_boards', jsonb_build_array(
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000c9', 'position', 3, 'deleted_at', '2026-11-25T10:00:00Z',
                               'image_path', :'owner_id' || '/tile-3.jpg', 'updated_at', '2026-11-25T10:00:00Z'))),
            '00000000-0000-4000-8000-00000000000b', 2) -> 'ids',
  '{"00000000-0000-4000-8000-0000000000c9": "00000000-0000-4000-8000-0000000000c1"}'::jsonb,
  'a tile is matched by position: another device''s removal of position 3 applies to it');
select ok((select deleted_at is not null from public.vision_boards where position = 3), 'the tile is a tombstone now');

-- ---------- pull ----------
select public.sync_pull(0, '00000000-0000-4000-8000-00000000000a') as pull \gset
select is(jsonb_array_length(:'pull'::jsonb -> 'changes' -> 'daily_sessions'), 2, 'a full pull returns the sessions');
select is(jsonb_array_length(:'pull'::jsonb -> 'changes' -> 'affirmations'), 2, '...the affirmations');
select ok((:'pull'::jsonb ->> 'cursor')::bigint > 0, '...and a cursor');
select is((select count(*)::int from public.last_seen), 1, 'pulling records the device as seen');

-- ---------- another member ----------
select tests.authenticate_as('stranger');
select is(public.sync_pull(0) -> 'changes' -> 'daily_sessions', '[]'::jsonb, 'a stranger pulls none of the owner''s rows');
select is(public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(
            jsonb_build_object('id', '00000000-0000-4000-8000-0000000000a1', 'date', '2026-11-23',
                               'morning_completed', true, 'morning_updated_at', '2026-11-23T06:00:00Z'))),
            '00000000-0000-4000-8000-00000000000c', 1) -> 'rejected' -> 0 ->> 'code', '23505',
  'a stranger reusing the owner''s session id is rejected');
select tests.clear_authentication();
select is((select count(*)::int from public.daily_sessions where user_id = :'owner_id'), 2,
  'the owner''s history is untouched by the stranger');

select * from finish();
rollback;
