-- Reading metrics on daily_sessions (20261202000300_reading_metrics.sql): checked ranges, carried
-- by sync_push/sync_pull, kept with the recording they were measured from whatever half wins.
begin;
select plan(19);

select tests.create_supabase_user('owner');
select tests.create_supabase_user('stranger');
select tests.get_supabase_uid('owner') as owner_id \gset

select has_column('public', 'daily_sessions', c, format('daily_sessions.%s exists', c))
  from unnest(array['recording_speaking_ms', 'recording_loudness_dbfs', 'read_coverage', 'words_per_minute']) c;

-- ---------- ranges ----------
select tests.authenticate_as('owner');
select throws_ok($$insert into public.daily_sessions (date, read_coverage) values ('2026-11-20', 1.2)$$, '23514',
  'new row for relation "daily_sessions" violates check constraint "daily_sessions_read_coverage_check"',
  'coverage is a share between 0 and 1');
select throws_ok($$insert into public.daily_sessions (date, recording_loudness_dbfs) values ('2026-11-20', 3)$$, '23514',
  'new row for relation "daily_sessions" violates check constraint "daily_sessions_recording_loudness_dbfs_check"',
  'loudness is at most 0 dBFS');
select throws_ok($$insert into public.daily_sessions (date, recording_speaking_ms) values ('2026-11-20', -1)$$, '23514',
  'new row for relation "daily_sessions" violates check constraint "daily_sessions_recording_speaking_ms_check"',
  'speaking time is not negative');
select throws_ok($$insert into public.daily_sessions (date, words_per_minute) values ('2026-11-20', 5000)$$, '23514',
  'new row for relation "daily_sessions" violates check constraint "daily_sessions_words_per_minute_check"',
  'a pace of 5000 words a minute is refused');

-- ---------- device A saves and measures a reading ----------
select repeat('a', 64) as sha_a, repeat('b', 64) as sha_b \gset

select public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20', 'morning_completed', true,
  'morning_completed_at', '2026-11-20T06:00:00Z',
  'recording_path', :'owner_id' || '/2026-11-20-recording.ogg', 'recording_duration_ms', 61000,
  'recording_sha256', :'sha_a', 'recording_speaking_ms', 48200, 'recording_loudness_dbfs', -21.5,
  'morning_updated_at', '2026-11-20T06:00:00Z'))), gen_random_uuid(), 1);
select results_eq($$select recording_speaking_ms, recording_loudness_dbfs, read_coverage, words_per_minute
                      from public.daily_sessions where date = '2026-11-20'$$,
  $$values (48200, -21.5::real, null::real, null::real)$$, 'the measured metrics arrive with the day');

-- The read-aloud check's result: the same row, same morning stamp, now with coverage and pace.
select is(public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20', 'morning_completed', true,
  'morning_completed_at', '2026-11-20T06:00:00Z',
  'recording_path', :'owner_id' || '/2026-11-20-recording.ogg', 'recording_duration_ms', 61000,
  'recording_sha256', :'sha_a', 'recording_speaking_ms', 48200, 'recording_loudness_dbfs', -21.5,
  'read_coverage', 0.94, 'words_per_minute', 132, 'morning_updated_at', '2026-11-20T06:00:00Z'))),
  gen_random_uuid(), 1) -> 'applied', '1', 'a check result for the same recording applies without a newer morning stamp');
select results_eq($$select read_coverage, words_per_minute from public.daily_sessions where date = '2026-11-20'$$,
  $$values (0.94::real, 132::real)$$, 'coverage and pace are stored');
select is((select jsonb_build_object('c', s -> 'read_coverage', 'w', s -> 'words_per_minute', 'ms', s -> 'recording_speaking_ms')
             from jsonb_array_elements(public.sync_pull(0) -> 'changes' -> 'daily_sessions') s
            where s ->> 'date' = '2026-11-20'),
  '{"c": 0.94, "w": 132, "ms": 48200}'::jsonb, 'sync_pull carries them');
select ok(public.sync_pull(0) ? 'cursor' and public.sync_pull(0) -> 'changes' ? 'reach', 'sync_pull still sends reach');

-- An older device pushes the same recording without metrics and a newer stamp: nothing is erased.
select public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20', 'morning_completed', true,
  'morning_completed_at', '2026-11-20T06:00:00Z', 'vision_board_viewed', true,
  'recording_path', :'owner_id' || '/2026-11-20-recording.ogg', 'recording_duration_ms', 61000,
  'recording_sha256', :'sha_a', 'morning_updated_at', '2026-11-20T06:05:00Z'))), gen_random_uuid(), 1);
select results_eq($$select vision_board_viewed, recording_speaking_ms, read_coverage from public.daily_sessions
                     where date = '2026-11-20'$$,
  $$values (true, 48200, 0.94::real)$$, 'a push of the same recording without metrics keeps the known ones');

-- Device B re-records the day later: its reading brings its own metrics, A's go with A's reading.
select public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20', 'morning_completed', true,
  'morning_completed_at', '2026-11-20T06:00:00Z', 'vision_board_viewed', true,
  'recording_path', :'owner_id' || '/2026-11-20-recording.ogg', 'recording_duration_ms', 70000,
  'recording_sha256', :'sha_b', 'recording_speaking_ms', 55000, 'recording_loudness_dbfs', -18,
  'morning_updated_at', '2026-11-20T07:00:00Z'))), gen_random_uuid(), 1);
select results_eq($$select recording_sha256, recording_speaking_ms, recording_loudness_dbfs, read_coverage,
                           words_per_minute from public.daily_sessions where date = '2026-11-20'$$,
  format($$values (%L, 55000, -18::real, null::real, null::real)$$, :'sha_b'),
  'a new recording replaces the metrics; the old reading''s check is gone with it');

-- Device A, not yet pulled, stores a late check for its old reading: it neither wins the
-- morning (older stamp) nor lands on B's reading.
select is(public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20', 'morning_completed', true,
  'morning_completed_at', '2026-11-20T06:00:00Z',
  'recording_path', :'owner_id' || '/2026-11-20-recording.ogg', 'recording_duration_ms', 61000,
  'recording_sha256', :'sha_a', 'recording_speaking_ms', 48200, 'recording_loudness_dbfs', -21.5,
  'read_coverage', 0.5, 'words_per_minute', 90, 'morning_updated_at', '2026-11-20T06:00:00Z'))),
  gen_random_uuid(), 1) -> 'unchanged', '1', 'metrics of a reading the day no longer has change nothing');
select results_eq($$select recording_sha256, read_coverage from public.daily_sessions where date = '2026-11-20'$$,
  format($$values (%L, null::real)$$, :'sha_b'), 'B''s reading is untouched');

-- A bad value in a push is that row's reject, with the constraint named.
select is(public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20',
  'recording_sha256', :'sha_b', 'read_coverage', 7, 'morning_updated_at', '2026-11-20T06:00:00Z'))),
  gen_random_uuid(), 1) -> 'rejected' -> 0 ->> 'reason',
  'new row for relation "daily_sessions" violates check constraint "daily_sessions_read_coverage_check"',
  'an out-of-range coverage is rejected by its check');

-- ---------- RLS: another member sees none of it ----------
select tests.authenticate_as('stranger');
select is((select count(*)::int from public.daily_sessions), 0, 'a stranger sees no one else''s readings');

select * from finish();
rollback;
