-- Reading metrics (issue 16): a day's reading carries what the device measured from it —
-- speaking time (energy-based voice activity) and the voice's loudness in dBFS — and, once
-- the read-aloud check ran, the share of the affirmation words read and the pace in words a
-- minute. All nullable: a reading not measured yet (saved by an older app version) or not
-- checked.
--
-- The metrics belong to the recording, not to the morning's edit time: a device that measures
-- an old reading later, or stores the check's result, pushes the day again without a newer
-- morning stamp. So sync_apply_session takes them whenever the pushed row names the same
-- recording (recording_sha256) as the row kept after the merge, whichever half won; a pushed
-- null never erases a known value of the same recording; a new recording brings its own
-- metrics (or none) and the previous recording's are dropped with it.
--
-- sync_pull (20261202000100_push_reminders.sql, with `reach`) sends whole rows
-- (to_jsonb(s) - 'change_xid'), so it carries the new columns unchanged.

alter table public.daily_sessions
  add column recording_speaking_ms integer
    constraint daily_sessions_recording_speaking_ms_check check (recording_speaking_ms between 0 and 3600000),
  add column recording_loudness_dbfs real
    constraint daily_sessions_recording_loudness_dbfs_check check (recording_loudness_dbfs between -120 and 0),
  add column read_coverage real
    constraint daily_sessions_read_coverage_check check (read_coverage between 0 and 1),
  add column words_per_minute real
    constraint daily_sessions_words_per_minute_check check (words_per_minute between 0 and 1000);

comment on column public.daily_sessions.recording_speaking_ms is
  'Speaking time of the day''s reading (20 ms frames at or above -50 dBFS), measured on the device';
comment on column public.daily_sessions.recording_loudness_dbfs is
  'Level of the reading''s speaking frames in dBFS (-120: nothing spoken), measured on the device';
comment on column public.daily_sessions.read_coverage is
  'Read-aloud check: share of the affirmation words found in order in the transcript (0..1)';
comment on column public.daily_sessions.words_per_minute is
  'Read-aloud check: words read per minute of the reading';

-- Members write days through sync_push; the direct column grants follow the other columns.
grant insert (recording_speaking_ms, recording_loudness_dbfs, read_coverage, words_per_minute)
  on public.daily_sessions to authenticated;
grant update (recording_speaking_ms, recording_loudness_dbfs, read_coverage, words_per_minute)
  on public.daily_sessions to authenticated;

-- One session row, as in 20261126001100_sync.sql, plus the reading's metrics (above).
-- Returns {"status": "applied"|"unchanged", "id": server id}.
create or replace function private.sync_apply_session(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  morning_keys constant text[] := array['morning_completed', 'morning_completed_at', 'recording_path',
    'recording_duration_ms', 'recording_sha256', 'affirmations_version', 'vision_board_viewed',
    'violent_action', 'violent_action_id', 'violent_action_set_at'];
  evening_keys constant text[] := array['action_completed', 'evening_completed', 'evening_completed_at',
    'discipline_rating', 'biggest_win'];
  metric_keys constant text[] := array['recording_speaking_ms', 'recording_loudness_dbfs', 'read_coverage',
    'words_per_minute'];
  r public.daily_sessions;
  cur public.daily_sessions;
  m public.daily_sessions;  -- the pushed metrics (other fields unused)
  m_ts timestamptz := private.client_time(rec, 'morning_updated_at');
  e_ts timestamptz := private.client_time(rec, 'evening_updated_at');
  has_m boolean := rec ?| morning_keys;
  has_e boolean := rec ?| evening_keys;
  apply_m boolean;
  apply_e boolean;
  same_recording boolean;
begin
  r := pg_catalog.jsonb_populate_record(null::public.daily_sessions, private.jsonb_pick(rec, array['id', 'date']));
  if r.id is null or r.date is null then
    raise exception 'a session needs an id and a date' using errcode = '22023';
  end if;
  if (has_m and m_ts is null) or (has_e and e_ts is null) then
    raise exception 'a session needs morning_updated_at / evening_updated_at (or updated_at)' using errcode = '22023';
  end if;
  m := pg_catalog.jsonb_populate_record(null::public.daily_sessions, private.jsonb_pick(rec, metric_keys));

  select * into cur from public.daily_sessions s where s.user_id = uid and s.date = r.date for update;
  if cur.id is null then
    r := pg_catalog.jsonb_populate_record(r, private.jsonb_pick(rec, morning_keys || evening_keys));
    same_recording := r.recording_sha256 is not null;
    insert into public.daily_sessions (
      id, user_id, date,
      morning_completed, morning_completed_at, recording_path, recording_duration_ms, recording_sha256,
      affirmations_version, vision_board_viewed, violent_action, violent_action_id, violent_action_set_at,
      morning_updated_at,
      action_completed, evening_completed, evening_completed_at, discipline_rating, biggest_win,
      evening_updated_at,
      recording_speaking_ms, recording_loudness_dbfs, read_coverage, words_per_minute)
    values (
      r.id, uid, r.date,
      coalesce(r.morning_completed, false), r.morning_completed_at, r.recording_path, r.recording_duration_ms,
      r.recording_sha256, r.affirmations_version, coalesce(r.vision_board_viewed, false), r.violent_action,
      r.violent_action_id, r.violent_action_set_at, case when has_m then m_ts end,
      r.action_completed, coalesce(r.evening_completed, false), r.evening_completed_at, r.discipline_rating,
      r.biggest_win, case when has_e then e_ts end,
      case when same_recording then m.recording_speaking_ms end,
      case when same_recording then m.recording_loudness_dbfs end,
      case when same_recording then m.read_coverage end,
      case when same_recording then m.words_per_minute end);
    return jsonb_build_object('status', 'applied', 'id', r.id);
  end if;

  apply_m := has_m and (cur.morning_updated_at is null or m_ts > cur.morning_updated_at);
  apply_e := has_e and (cur.evening_updated_at is null or e_ts > cur.evening_updated_at);
  r := cur;
  if apply_m then
    r := pg_catalog.jsonb_populate_record(r, private.jsonb_pick(rec, morning_keys));
    r.morning_updated_at := m_ts;
  end if;
  if apply_e then
    r := pg_catalog.jsonb_populate_record(r, private.jsonb_pick(rec, evening_keys));
    r.evening_updated_at := e_ts;
  end if;
  -- The metrics follow the recording kept after the merge.
  same_recording := r.recording_sha256 is not null and rec ->> 'recording_sha256' = r.recording_sha256;
  if r.recording_sha256 is distinct from cur.recording_sha256 then
    r.recording_speaking_ms := case when same_recording then m.recording_speaking_ms end;
    r.recording_loudness_dbfs := case when same_recording then m.recording_loudness_dbfs end;
    r.read_coverage := case when same_recording then m.read_coverage end;
    r.words_per_minute := case when same_recording then m.words_per_minute end;
  elsif same_recording then
    r.recording_speaking_ms := coalesce(m.recording_speaking_ms, cur.recording_speaking_ms);
    r.recording_loudness_dbfs := coalesce(m.recording_loudness_dbfs, cur.recording_loudness_dbfs);
    r.read_coverage := coalesce(m.read_coverage, cur.read_coverage);
    r.words_per_minute := coalesce(m.words_per_minute, cur.words_per_minute);
  end if;
  if not (apply_m or apply_e)
     and (r.recording_speaking_ms, r.recording_loudness_dbfs, r.read_coverage, r.words_per_minute)
         is not distinct from
         (cur.recording_speaking_ms, cur.recording_loudness_dbfs, cur.read_coverage, cur.words_per_minute) then
    return jsonb_build_object('status', 'unchanged', 'id', cur.id);
  end if;
  update public.daily_sessions s set
    morning_completed = coalesce(r.morning_completed, false), morning_completed_at = r.morning_completed_at,
    recording_path = r.recording_path, recording_duration_ms = r.recording_duration_ms,
    recording_sha256 = r.recording_sha256, affirmations_version = r.affirmations_version,
    vision_board_viewed = coalesce(r.vision_board_viewed, false), violent_action = r.violent_action,
    violent_action_id = r.violent_action_id, violent_action_set_at = r.violent_action_set_at,
    morning_updated_at = r.morning_updated_at,
    action_completed = r.action_completed, evening_completed = coalesce(r.evening_completed, false),
    evening_completed_at = r.evening_completed_at, discipline_rating = r.discipline_rating,
    biggest_win = r.biggest_win, evening_updated_at = r.evening_updated_at,
    recording_speaking_ms = r.recording_speaking_ms, recording_loudness_dbfs = r.recording_loudness_dbfs,
    read_coverage = r.read_coverage, words_per_minute = r.words_per_minute
   where s.id = cur.id;
  return jsonb_build_object('status', 'applied', 'id', cur.id);
end
$$;
