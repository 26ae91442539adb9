-- Board <-> action links (issue 16, item 5): a day's action can be linked to a vision tile
-- ("this builds toward: Cabin by the lake"); /progress shows, per tile, the actions done toward it.
--
-- A day keeps the linked tile's id AND a copy of its caption at link time. The id groups the
-- days by tile while the tile lives (a renamed tile keeps its days); the caption copy keeps the
-- history readable once the tile is removed or replaced (a removed tile is a tombstone whose
-- caption is cleared, and a new tile at the same position has a new id). There is no foreign
-- key to public.vision_boards: a day may arrive before its tile (devices push in any order) and
-- must outlive it. Both columns belong to the morning half (set with the action, same stamp).
--
-- sync_pull sends whole rows (to_jsonb(s) - 'change_xid'), so it carries the new columns.

alter table public.daily_sessions
  add column action_tile_id uuid,
  add column action_tile_caption text
    constraint daily_sessions_action_tile_caption_check check (char_length(action_tile_caption) between 1 and 200),
  add constraint daily_sessions_action_tile_link_check
    check (action_tile_id is not null or action_tile_caption is null),
  add constraint daily_sessions_action_tile_needs_action_check
    check (action_tile_id is null or violent_action is not null);

comment on column public.daily_sessions.action_tile_id is
  'The vision tile this day''s action builds toward (its id; the tile may since have been removed)';
comment on column public.daily_sessions.action_tile_caption is
  'The linked tile''s caption when the action was linked (null: the tile had none)';

grant insert (action_tile_id, action_tile_caption) on public.daily_sessions to authenticated;
grant update (action_tile_id, action_tile_caption) on public.daily_sessions to authenticated;

-- One session row, as in 20261202000300_reading_metrics.sql (metrics kept with their
-- recording), plus the linked tile in the morning half.
-- Returns {"status": "applied"|"unchanged", "id": server id}.
create or replace function private.sync_apply_session(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  morning_keys constant text[] := array['morning_completed', 'morning_completed_at', 'recording_path',
    'recording_duration_ms', 'recording_sha256', 'affirmations_version', 'vision_board_viewed',
    'violent_action', 'violent_action_id', 'violent_action_set_at', 'action_tile_id', 'action_tile_caption'];
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
      action_tile_id, action_tile_caption, morning_updated_at,
      action_completed, evening_completed, evening_completed_at, discipline_rating, biggest_win,
      evening_updated_at,
      recording_speaking_ms, recording_loudness_dbfs, read_coverage, words_per_minute)
    values (
      r.id, uid, r.date,
      coalesce(r.morning_completed, false), r.morning_completed_at, r.recording_path, r.recording_duration_ms,
      r.recording_sha256, r.affirmations_version, coalesce(r.vision_board_viewed, false), r.violent_action,
      r.violent_action_id, r.violent_action_set_at, r.action_tile_id, r.action_tile_caption,
      case when has_m then m_ts end,
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
    action_tile_id = r.action_tile_id, action_tile_caption = r.action_tile_caption,
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
