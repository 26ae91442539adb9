-- Sync RPCs for the local-first client (contract in docs/backend.md).
--
-- sync_push(changes, client_id, op_id): applies a batch of the client's rows. SECURITY INVOKER:
-- row level security and column privileges apply exactly as for direct requests.
--   * idempotent twice over: (member, client_id, op_id) is recorded with its result, so a
--     retried push returns the stored result and changes nothing; and applying the same rows
--     again is a no-op anyway (last-writer-wins with ties keeping what is stored).
--   * rows are matched on their natural key where one exists (a session by date, a vision
--     board tile by position), because two offline devices create the same day with different
--     client ids; the response maps such ids to the server's.
--   * a session's fields form two groups (morning, evening), each last-writer-wins on its own
--     client timestamp: one device's morning and another's evening of the same day both stay.
--   * each row applies in its own subtransaction: a rejected row comes back with its SQLSTATE
--     and reason, the rest of the batch applies, and the op is acknowledged (a client never
--     retries a row that can only fail again; it shows the reason).
--
-- sync_pull(since): everything of the member's written by transactions at or after the
-- horizon `since`, and a new horizon. The cursor is a transaction id horizon, never a clock:
-- it is pg_snapshot_xmin of the pull's snapshot, so every transaction below it had finished
-- when the rows were read; a transaction that commits late has an id at or above the cursor
-- and is returned by the next pull. (A now()-based cursor skips such transactions.) Rows near
-- the horizon may come twice; applying them again is harmless.

-- =============================================
-- Tables
-- =============================================
create table public.sync_ops (
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  client_id uuid not null,
  op_id bigint not null,
  result jsonb,
  created_at timestamptz not null default now(),
  primary key (user_id, client_id, op_id)
);

-- A push of many sessions refreshes the member's statistics once, when sync_push records its
-- result, instead of after every row: rewriting the same profile row hundreds of times in one
-- transaction makes every later write slower. SECURITY DEFINER: statistics columns are not
-- writable by members. Setting chris.deferred_stats by hand only delays one's own refresh
-- (and any refresh computes the truth), so it grants nothing.
create or replace function public.sync_ops_flush_stats()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  deferred text := current_setting('chris.deferred_stats', true);
begin
  if deferred is not null and deferred <> '' then
    perform set_config('chris.deferred_stats', '', true);
    perform private.refresh_profile_stats(deferred::uuid);
  end if;
  return null;
end
$$;
revoke execute on function public.sync_ops_flush_stats() from public, anon, authenticated;

create trigger sync_ops_flush_stats after update on public.sync_ops
  for each statement execute function public.sync_ops_flush_stats();

revoke all on public.sync_ops from public, anon, authenticated;
grant select, insert (user_id, client_id, op_id, result), update (result) on public.sync_ops to authenticated;
grant all on public.sync_ops to service_role;

alter table public.sync_ops enable row level security;
create policy "Members can read their own sync operations" on public.sync_ops
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Members can record their own sync operations" on public.sync_ops
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Members can complete their own sync operations" on public.sync_ops
  for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- The helpers below are SECURITY INVOKER and run as the member; the private schema is not
-- served by the API, and only these functions in it are executable by members.
grant usage on schema private to authenticated;

-- =============================================
-- Helpers
-- =============================================
create or replace function private.jsonb_pick(rec jsonb, keys text[])
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_object_agg(e.key, e.value), '{}'::jsonb)
    from pg_catalog.jsonb_each(rec) e where e.key = any (keys)
$$;

create or replace function private.client_time(rec jsonb, key text)
returns timestamptz
language sql
stable
set search_path = ''
as $$ select coalesce(rec ->> key, rec ->> 'updated_at')::timestamptz $$;

-- One session row. Returns {"status": "applied"|"unchanged", "id": server id}.
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
  r public.daily_sessions;
  cur public.daily_sessions;
  m_ts timestamptz := private.client_time(rec, 'morning_updated_at');
  e_ts timestamptz := private.client_time(rec, 'evening_updated_at');
  has_m boolean := rec ?| morning_keys;
  has_e boolean := rec ?| evening_keys;
  apply_m boolean;
  apply_e boolean;
begin
  r := pg_catalog.jsonb_populate_record(null::public.daily_sessions, private.jsonb_pick(rec, array['id', 'date']));
  if r.id is null or r.date is null then
    raise exception 'a session needs an id and a date' using errcode = '22023';
  end if;
  if (has_m and m_ts is null) or (has_e and e_ts is null) then
    raise exception 'a session needs morning_updated_at / evening_updated_at (or updated_at)' using errcode = '22023';
  end if;

  select * into cur from public.daily_sessions s where s.user_id = uid and s.date = r.date for update;
  if cur.id is null then
    r := pg_catalog.jsonb_populate_record(r, private.jsonb_pick(rec, morning_keys || evening_keys));
    insert into public.daily_sessions (
      id, user_id, date,
      morning_completed, morning_completed_at, recording_path, recording_duration_ms, recording_sha256,
      affirmations_version, vision_board_viewed, violent_action, violent_action_id, violent_action_set_at,
      morning_updated_at,
      action_completed, evening_completed, evening_completed_at, discipline_rating, biggest_win,
      evening_updated_at)
    values (
      r.id, uid, r.date,
      coalesce(r.morning_completed, false), r.morning_completed_at, r.recording_path, r.recording_duration_ms,
      r.recording_sha256, r.affirmations_version, coalesce(r.vision_board_viewed, false), r.violent_action,
      r.violent_action_id, r.violent_action_set_at, case when has_m then m_ts end,
      r.action_completed, coalesce(r.evening_completed, false), r.evening_completed_at, r.discipline_rating,
      r.biggest_win, case when has_e then e_ts end);
    return jsonb_build_object('status', 'applied', 'id', r.id);
  end if;

  apply_m := has_m and (cur.morning_updated_at is null or m_ts > cur.morning_updated_at);
  apply_e := has_e and (cur.evening_updated_at is null or e_ts > cur.evening_updated_at);
  if not (apply_m or apply_e) then
    return jsonb_build_object('status', 'unchanged', 'id', cur.id);
  end if;
  r := cur;
  if apply_m then
    r := pg_catalog.jsonb_populate_record(r, private.jsonb_pick(rec, morning_keys));
    r.morning_updated_at := m_ts;
  end if;
  if apply_e then
    r := pg_catalog.jsonb_populate_record(r, private.jsonb_pick(rec, evening_keys));
    r.evening_updated_at := e_ts;
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
    biggest_win = r.biggest_win, evening_updated_at = r.evening_updated_at
   where s.id = cur.id;
  return jsonb_build_object('status', 'applied', 'id', cur.id);
end
$$;

-- One affirmation version. Content is immutable; a known id can only become the active one.
-- Returns the server-assigned version.
create or replace function private.sync_apply_affirmation(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  r public.affirmations;
  cur public.affirmations;
  ts timestamptz := private.client_time(rec, 'client_updated_at');
begin
  r := pg_catalog.jsonb_populate_record(null::public.affirmations,
         private.jsonb_pick(rec, array['id', 'content', 'is_active']));
  if r.id is null then
    raise exception 'an affirmation needs an id' using errcode = '22023';
  end if;
  select * into cur from public.affirmations a where a.id = r.id and a.user_id = uid for update;
  if cur.id is null then
    insert into public.affirmations (id, user_id, content, is_active, client_updated_at)
    values (r.id, uid, r.content, coalesce(r.is_active, true), ts)
    returning * into cur;
    return jsonb_build_object('status', 'applied', 'id', cur.id, 'version', cur.version);
  end if;
  if r.content is not null and r.content is distinct from cur.content then
    raise exception 'affirmation versions are immutable: save a new version instead' using errcode = '22023';
  end if;
  if r.is_active and not cur.is_active and (cur.client_updated_at is null or ts > cur.client_updated_at) then
    update public.affirmations a set is_active = true, client_updated_at = ts where a.id = cur.id;
    return jsonb_build_object('status', 'applied', 'id', cur.id, 'version', cur.version);
  end if;
  return jsonb_build_object('status', 'unchanged', 'id', cur.id, 'version', cur.version);
end
$$;

-- One vision board tile, matched by position; last-writer-wins on the client's timestamp.
create or replace function private.sync_apply_tile(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  r public.vision_boards;
  cur public.vision_boards;
  ts timestamptz := private.client_time(rec, 'client_updated_at');
begin
  r := pg_catalog.jsonb_populate_record(null::public.vision_boards,
         private.jsonb_pick(rec, array['id', 'position', 'image_path', 'caption', 'deleted_at']));
  if r.id is null or r.position is null or ts is null then
    raise exception 'a tile needs an id, a position and updated_at' using errcode = '22023';
  end if;
  select * into cur from public.vision_boards v where v.user_id = uid and v.position = r.position for update;
  if cur.id is null then
    insert into public.vision_boards (id, user_id, position, image_path, caption, deleted_at, client_updated_at)
    values (r.id, uid, r.position, r.image_path, r.caption, r.deleted_at, ts);
    return jsonb_build_object('status', 'applied', 'id', r.id);
  end if;
  if cur.client_updated_at is not null and ts <= cur.client_updated_at then
    return jsonb_build_object('status', 'unchanged', 'id', cur.id);
  end if;
  update public.vision_boards v set image_path = coalesce(r.image_path, v.image_path), caption = r.caption,
         deleted_at = r.deleted_at, client_updated_at = ts
   where v.id = cur.id;
  return jsonb_build_object('status', 'applied', 'id', cur.id);
end
$$;

-- The member's settings row and profile preferences; last-writer-wins as a whole.
create or replace function private.sync_apply_settings(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  r public.user_settings;
  cur public.user_settings;
  ts timestamptz := private.client_time(rec, 'client_updated_at');
begin
  if ts is null then
    raise exception 'settings need updated_at' using errcode = '22023';
  end if;
  select * into cur from public.user_settings s where s.id = uid for update;
  if cur.client_updated_at is not null and ts <= cur.client_updated_at then
    return jsonb_build_object('status', 'unchanged', 'id', uid);
  end if;
  r := pg_catalog.jsonb_populate_record(cur, private.jsonb_pick(rec, array['push_notifications',
         'email_reminders', 'morning_reminder', 'evening_reminder', 'weekly_email', 'sound_enabled',
         'auto_play_recording', 'theme']));
  update public.user_settings s set push_notifications = r.push_notifications,
         email_reminders = r.email_reminders, morning_reminder = r.morning_reminder,
         evening_reminder = r.evening_reminder, weekly_email = r.weekly_email,
         sound_enabled = r.sound_enabled, auto_play_recording = r.auto_play_recording,
         theme = r.theme, client_updated_at = ts
   where s.id = uid;
  return jsonb_build_object('status', 'applied', 'id', uid);
end
$$;

create or replace function private.sync_apply_profile(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  r public.profiles;
  cur public.profiles;
  ts timestamptz := private.client_time(rec, 'prefs_updated_at');
begin
  if ts is null then
    raise exception 'profile preferences need updated_at' using errcode = '22023';
  end if;
  select * into cur from public.profiles p where p.id = uid for update;
  if cur.prefs_updated_at is not null and ts <= cur.prefs_updated_at then
    return jsonb_build_object('status', 'unchanged', 'id', uid);
  end if;
  r := pg_catalog.jsonb_populate_record(cur, private.jsonb_pick(rec, array['full_name', 'display_name',
         'timezone', 'day_start', 'morning_protocol_time', 'evening_review_time', 'leaderboard_opt_in']));
  update public.profiles p set full_name = r.full_name, display_name = r.display_name,
         timezone = r.timezone, day_start = r.day_start, morning_protocol_time = r.morning_protocol_time,
         evening_review_time = r.evening_review_time, leaderboard_opt_in = r.leaderboard_opt_in,
         prefs_updated_at = ts
   where p.id = uid;
  return jsonb_build_object('status', 'applied', 'id', uid);
end
$$;

grant execute on function private.jsonb_pick(jsonb, text[]), private.client_time(jsonb, text),
  private.sync_apply_session(uuid, jsonb), private.sync_apply_affirmation(uuid, jsonb),
  private.sync_apply_tile(uuid, jsonb), private.sync_apply_settings(uuid, jsonb),
  private.sync_apply_profile(uuid, jsonb)
  to authenticated;

-- =============================================
-- Functions
-- =============================================
create or replace function public.sync_push(changes jsonb, client_id uuid, op_id bigint)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  previous jsonb;
  tbl text;
  rec jsonb;
  outcome jsonb;
  applied integer := 0;
  unchanged integer := 0;
  rejected jsonb := '[]'::jsonb;
  ids jsonb := '{}'::jsonb;
  versions jsonb := '{}'::jsonb;
  push_result jsonb;
begin
  if uid is null then
    raise exception 'sign in to sync' using errcode = '42501';
  end if;
  if changes is null or jsonb_typeof(changes) <> 'object' or client_id is null or op_id is null then
    raise exception 'sync_push needs changes (an object), client_id and op_id' using errcode = '22023';
  end if;
  if (select coalesce(sum(jsonb_array_length(v)), 0) from jsonb_each(changes) e (k, v)
       where jsonb_typeof(v) = 'array') > 1000 then
    raise exception 'at most 1000 rows per push' using errcode = '54000';
  end if;

  -- One push at a time per member: natural-key merges never race each other.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('sync:' || uid::text, 0));

  insert into public.sync_ops (user_id, client_id, op_id)
  values (uid, sync_push.client_id, sync_push.op_id)
  on conflict on constraint sync_ops_pkey do nothing;
  if not found then
    select o.result into previous from public.sync_ops o
     where o.user_id = uid and o.client_id = sync_push.client_id and o.op_id = sync_push.op_id;
    return coalesce(previous, '{}'::jsonb) || jsonb_build_object('replayed', true);
  end if;

  perform set_config('chris.deferred_stats', uid::text, true);  -- flushed by the sync_ops update below
  -- profile and settings first: a new time zone applies before the sessions' statistics
  foreach tbl in array array['profile', 'user_settings', 'affirmations', 'vision_boards', 'daily_sessions'] loop
    for rec in
      select v from jsonb_array_elements(
        case jsonb_typeof(changes -> tbl) when 'array' then changes -> tbl
                                          when 'object' then jsonb_build_array(changes -> tbl)
                                          else '[]'::jsonb end) v
    loop
      begin
        if jsonb_typeof(rec) <> 'object' then
          raise exception 'a change must be an object' using errcode = '22023';
        end if;
        outcome := case tbl
          when 'daily_sessions' then private.sync_apply_session(uid, rec)
          when 'affirmations' then private.sync_apply_affirmation(uid, rec)
          when 'vision_boards' then private.sync_apply_tile(uid, rec)
          when 'user_settings' then private.sync_apply_settings(uid, rec)
          when 'profile' then private.sync_apply_profile(uid, rec)
        end;
        if outcome ->> 'status' = 'applied' then
          applied := applied + 1;
        else
          unchanged := unchanged + 1;
        end if;
        if rec ? 'id' and rec ->> 'id' is distinct from outcome ->> 'id' and tbl not in ('profile', 'user_settings') then
          ids := ids || jsonb_build_object(rec ->> 'id', outcome -> 'id');
        end if;
        if outcome ? 'version' then
          versions := versions || jsonb_build_object(outcome ->> 'id', outcome -> 'version');
        end if;
      exception when others then
        rejected := rejected || jsonb_build_array(jsonb_build_object(
          'table', tbl, 'id', rec ->> 'id', 'code', sqlstate, 'reason', sqlerrm));
      end;
    end loop;
  end loop;

  push_result := jsonb_build_object('op_id', op_id, 'applied', applied, 'unchanged', unchanged,
                               'rejected', rejected, 'ids', ids, 'versions', versions, 'replayed', false);
  update public.sync_ops o set result = push_result
   where o.user_id = uid and o.client_id = sync_push.client_id and o.op_id = sync_push.op_id;
  return push_result;
end
$$;
revoke execute on function public.sync_push(jsonb, uuid, bigint) from public, anon;
grant execute on function public.sync_push(jsonb, uuid, bigint) to authenticated;

create or replace function public.sync_pull(since bigint default 0, client_id uuid default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  -- taken before the rows are read: every transaction below it had finished by then
  horizon xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
  since_xid xid8 := greatest(coalesce(since, 0), 0)::text::xid8;
begin
  if uid is null then
    raise exception 'sign in to sync' using errcode = '42501';
  end if;
  if sync_pull.client_id is not null then
    insert into public.last_seen (user_id, client_id) values (uid, sync_pull.client_id)
    on conflict on constraint last_seen_pkey do update set seen_at = now();
  end if;
  return jsonb_build_object(
    'cursor', horizon::text::bigint,
    'changes', jsonb_build_object(
      'daily_sessions', coalesce((
        select jsonb_agg(to_jsonb(s) - 'change_xid' order by s.date)
          from public.daily_sessions s where s.user_id = uid and s.change_xid >= since_xid), '[]'::jsonb),
      'affirmations', coalesce((
        select jsonb_agg(to_jsonb(a) - 'change_xid' order by a.version)
          from public.affirmations a where a.user_id = uid and a.change_xid >= since_xid), '[]'::jsonb),
      'vision_boards', coalesce((
        select jsonb_agg(to_jsonb(v) - 'change_xid' order by v.position)
          from public.vision_boards v where v.user_id = uid and v.change_xid >= since_xid), '[]'::jsonb),
      'user_settings', coalesce((
        select jsonb_agg(to_jsonb(st) - 'change_xid')
          from public.user_settings st where st.id = uid and st.change_xid >= since_xid), '[]'::jsonb),
      'profile', coalesce((
        select jsonb_agg(to_jsonb(p) - 'change_xid')
          from public.profiles p where p.id = uid and p.change_xid >= since_xid), '[]'::jsonb)));
end
$$;
revoke execute on function public.sync_pull(bigint, uuid) from public, anon;
grant execute on function public.sync_pull(bigint, uuid) to authenticated;
