-- Sync that never loses what the member made (docs/backend.md "Sync RPCs", docs/sync.md).
--
-- What changes against 20261126001100_sync.sql:
--   * Profile preferences and settings merge PER FIELD. Each row keeps the client time of the
--     last edit of each field (`prefs_stamps` / `field_stamps`); a pushed field applies only
--     when the client says it was edited (it has a stamp) and its stamp is newer. A value a
--     device never changed (an install default) carries no stamp and never wins. Each field
--     applies in its own subtransaction: one value the server refuses (a time zone it does
--     not know) does not cost the member the others.
--   * `first_day` is account-level: the earliest of the sign-up day and the first days the
--     member's devices push (a guest's history carried into the account keeps its start).
--     Only ever moved earlier, so no member gains anything by sending it; applied when the
--     push ends, by the SECURITY DEFINER sync_ops trigger (members cannot write it).
--   * Affirmation versions: the active version is the one the member saved last by client
--     clock (`client_updated_at`, the version's save time), not the one pushed last. A version
--     without a save time (an install's untouched starter text) is a default: it never becomes
--     active over a saved one, and when the account already holds the same text it maps onto
--     that version instead of adding a copy.
--   * Vision board tiles: a tile id the member already has at another position (a move into
--     an empty position) is stored under a new server id and mapped, instead of failing on
--     the primary key.
--   * A rejected row comes back with `current`: the server's version of that row (by id and
--     natural key), so the device can take it back instead of staying diverged.

-- =============================================
-- Tables
-- =============================================
alter table public.profiles
  add column prefs_stamps jsonb not null default '{}'::jsonb
    constraint prefs_stamps_is_object check (jsonb_typeof(prefs_stamps) = 'object');
comment on column public.profiles.prefs_stamps is
  'Client time of the last synced edit of each preference field ({"timezone": "2026-…"}); per-field last-writer-wins in sync_push.';
alter table public.user_settings
  add column field_stamps jsonb not null default '{}'::jsonb
    constraint field_stamps_is_object check (jsonb_typeof(field_stamps) = 'object');
comment on column public.user_settings.field_stamps is
  'Client time of the last synced edit of each setting; per-field last-writer-wins in sync_push.';

-- Rows synced before per-field stamps: every field was last written at the row's stamp.
update public.profiles p set prefs_stamps = (
  select jsonb_object_agg(k, p.prefs_updated_at)
    from unnest(array['full_name', 'display_name', 'timezone', 'day_start', 'morning_protocol_time',
                      'evening_review_time', 'leaderboard_opt_in']) k)
 where p.prefs_updated_at is not null;
update public.user_settings s set field_stamps = (
  select jsonb_object_agg(k, s.client_updated_at)
    from unnest(array['push_notifications', 'email_reminders', 'morning_reminder', 'evening_reminder',
                      'weekly_email', 'sound_enabled', 'auto_play_recording', 'theme']) k)
 where s.client_updated_at is not null;

-- The app's default for auto-play is off. A value nobody edited is now adopted by every new
-- device, so the server's default must be the app's (it was on).
alter table public.user_settings alter column auto_play_recording set default false;
update public.user_settings s set auto_play_recording = false
 where s.auto_play_recording and not (s.field_stamps ? 'auto_play_recording');

grant update (prefs_stamps) on public.profiles to authenticated;
grant update (field_stamps) on public.user_settings to authenticated;

-- =============================================
-- Helpers
-- =============================================
-- Per-field last-writer-wins of one row of profiles / user_settings. `rec` holds the values
-- (server column names) and `field_stamps` {column: client time}; only stamped fields apply.
-- An app from before per-field stamps sends none: then every sent field counts as edited at
-- the row stamp `legacy_ts`. Returns {"applied": n, "problems": [{field, code, reason}]}.
create or replace function private.sync_apply_fields(uid uuid, tbl text, stamps_col text, row_stamp_col text,
                                                     keys text[], rec jsonb, legacy_ts timestamptz)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  stamps jsonb := rec -> 'field_stamps';
  stored jsonb;
  k text;
  ts timestamptz;
  applied integer := 0;
  problems jsonb := '[]'::jsonb;
begin
  if tbl not in ('profiles', 'user_settings') then
    raise exception 'no per-field merge for %', tbl using errcode = '22023';
  end if;
  if stamps is null then
    if legacy_ts is null then
      raise exception '% needs field_stamps (or updated_at)', tbl using errcode = '22023';
    end if;
    select coalesce(jsonb_object_agg(f, legacy_ts), '{}'::jsonb) into stamps from unnest(keys) f where rec ? f;
  elsif jsonb_typeof(stamps) <> 'object' then
    raise exception 'field_stamps must be an object' using errcode = '22023';
  end if;
  execute format('select t.%I from public.%I t where t.id = $1 for update', stamps_col, tbl) into stored using uid;
  if stored is null then
    raise exception 'no % row for this member', tbl using errcode = 'P0002';
  end if;
  foreach k in array keys loop
    if not (stamps ? k and rec ? k) then
      continue;
    end if;
    begin
      ts := (stamps ->> k)::timestamptz;
      if ts is null then
        raise exception 'the stamp of % is empty', k using errcode = '22023';
      end if;
      if not (stored ? k) or ts > (stored ->> k)::timestamptz then
        execute format(
          'update public.%1$I t set %2$I = (pg_catalog.jsonb_populate_record(null::public.%1$I, $1)).%2$I,'
          ' %3$I = t.%3$I || pg_catalog.jsonb_build_object(%4$L, $2),'
          ' %5$I = greatest(t.%5$I, $2) where t.id = $3',
          tbl, k, stamps_col, k, row_stamp_col)
          using pg_catalog.jsonb_build_object(k, rec -> k), ts, uid;
        stored := stored || jsonb_build_object(k, ts);
        applied := applied + 1;
      end if;
    exception when others then
      problems := problems || jsonb_build_array(jsonb_build_object('field', k, 'code', sqlstate, 'reason', sqlerrm));
    end;
  end loop;
  return jsonb_build_object('applied', applied, 'problems', problems);
end
$$;

-- Moves the member's first day earlier (never later). SECURITY DEFINER: first_day is not
-- writable by members; moving it earlier only widens their statistics window, so it grants
-- nothing. The score's incremental state depends on it, so that is rebuilt (rare: once per
-- guest history carried in). Called only by the sync_ops trigger below, for auth.uid().
create or replace function private.adopt_first_day(uid uuid, d date)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if uid is null or d is null or d < date '2000-01-01' or d > (now() at time zone 'UTC')::date + 1 then
    return;
  end if;
  update public.profiles p set first_day = d where p.id = uid and p.first_day > d;
  if found then
    perform private.rebuild_member_stats(uid);
  end if;
end
$$;
revoke execute on function private.adopt_first_day(uuid, date) from public, anon, authenticated;

-- The end of a push (its sync_ops update): first the first day a device claimed (see
-- sync_apply_profile), then the statistics refresh deferred during the push. Setting
-- chris.first_day_claim by hand can only move one's own first day earlier.
create or replace function public.sync_ops_flush_stats()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  deferred text := current_setting('chris.deferred_stats', true);
  claim text := current_setting('chris.first_day_claim', true);
begin
  if claim is not null and claim <> '' then
    perform set_config('chris.first_day_claim', '', true);
    perform private.adopt_first_day((select auth.uid()), claim::date);
  end if;
  if deferred is not null and deferred <> '' then
    perform set_config('chris.deferred_stats', '', true);
    perform private.refresh_profile_stats(deferred::uuid);
  end if;
  return null;
end
$$;
revoke execute on function public.sync_ops_flush_stats() from public, anon, authenticated;

grant execute on function private.sync_apply_fields(uuid, text, text, text, text[], jsonb, timestamptz) to authenticated;

create or replace function private.sync_apply_settings(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  outcome jsonb;
begin
  outcome := private.sync_apply_fields(uid, 'user_settings', 'field_stamps', 'client_updated_at',
    array['push_notifications', 'email_reminders', 'morning_reminder', 'evening_reminder', 'weekly_email',
          'sound_enabled', 'auto_play_recording', 'theme'],
    rec, private.client_time(rec, 'client_updated_at'));
  return jsonb_build_object('status', case when (outcome ->> 'applied')::int > 0 then 'applied' else 'unchanged' end,
                            'id', uid, 'problems', outcome -> 'problems');
end
$$;

create or replace function private.sync_apply_profile(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  outcome jsonb;
  claimed date;
  moved boolean := false;
begin
  outcome := private.sync_apply_fields(uid, 'profiles', 'prefs_stamps', 'prefs_updated_at',
    array['full_name', 'display_name', 'timezone', 'day_start', 'morning_protocol_time', 'evening_review_time',
          'leaderboard_opt_in'],
    rec, private.client_time(rec, 'prefs_updated_at'));
  if rec ? 'first_day' then
    begin
      claimed := (rec ->> 'first_day')::date;
      if claimed < date '2000-01-01' or claimed > (now() at time zone 'UTC')::date + 1 then
        raise exception 'first day % is out of range', claimed using errcode = '22008';
      end if;
      -- applied when the push ends (sync_ops_flush_stats): members cannot write first_day
      if claimed < (select p.first_day from public.profiles p where p.id = uid) then
        perform set_config('chris.first_day_claim',
          least(claimed, nullif(current_setting('chris.first_day_claim', true), '')::date)::text, true);
        moved := true;
      end if;
    exception when others then
      outcome := jsonb_set(outcome, '{problems}', (outcome -> 'problems') || jsonb_build_array(
        jsonb_build_object('field', 'first_day', 'code', sqlstate, 'reason', sqlerrm)));
    end;
  end if;
  return jsonb_build_object('status', case when (outcome ->> 'applied')::int > 0 or moved then 'applied' else 'unchanged' end,
                            'id', uid, 'problems', outcome -> 'problems');
end
$$;

-- One affirmation version. Content is immutable; the server numbers versions; the active
-- version is the latest saved by client clock (ties: the larger id), whatever the push order.
create or replace function private.sync_apply_affirmation(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  r public.affirmations;
  cur public.affirmations;
  act public.affirmations;
  ts timestamptz := (rec ->> 'client_updated_at')::timestamptz;  -- null: a default, never saved by the member
begin
  r := pg_catalog.jsonb_populate_record(null::public.affirmations, private.jsonb_pick(rec, array['id', 'content']));
  if r.id is null then
    raise exception 'an affirmation needs an id' using errcode = '22023';
  end if;
  select * into cur from public.affirmations a where a.id = r.id and a.user_id = uid for update;
  if cur.id is not null then
    if r.content is not null and r.content is distinct from cur.content then
      raise exception 'affirmation versions are immutable: save a new version instead' using errcode = '22023';
    end if;
    return jsonb_build_object('status', 'unchanged', 'id', cur.id, 'version', cur.version);
  end if;
  if ts is null then
    select * into cur from public.affirmations a where a.user_id = uid and a.content = r.content
     order by a.version limit 1;
    if cur.id is not null then
      return jsonb_build_object('status', 'unchanged', 'id', cur.id, 'version', cur.version);
    end if;
  end if;
  select * into act from public.affirmations a where a.user_id = uid and a.is_active;
  insert into public.affirmations (id, user_id, content, is_active, client_updated_at)
  values (r.id, uid, r.content,
          act.id is null or (ts is not null and (act.client_updated_at is null or (ts, r.id::text) > (act.client_updated_at, act.id::text))),
          ts)
  returning * into cur;
  return jsonb_build_object('status', 'applied', 'id', cur.id, 'version', cur.version);
end
$$;

-- One vision board tile, matched by position; last-writer-wins on the client's timestamp. A
-- position the server has no row for takes the tile under its id, or under a new id when that
-- id is already taken (the tile moved here from another position, whose own change arrives
-- as a removal there).
create or replace function private.sync_apply_tile(uid uuid, rec jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  r public.vision_boards;
  cur public.vision_boards;
  ts timestamptz := private.client_time(rec, 'client_updated_at');
  new_id uuid;
begin
  r := pg_catalog.jsonb_populate_record(null::public.vision_boards,
         private.jsonb_pick(rec, array['id', 'position', 'image_path', 'caption', 'deleted_at']));
  if r.id is null or r.position is null or ts is null then
    raise exception 'a tile needs an id, a position and updated_at' using errcode = '22023';
  end if;
  select * into cur from public.vision_boards v where v.user_id = uid and v.position = r.position for update;
  if cur.id is null then
    new_id := r.id;
    if exists (select 1 from public.vision_boards v where v.id = r.id) then
      new_id := gen_random_uuid();
    end if;
    begin
      insert into public.vision_boards (id, user_id, position, image_path, caption, deleted_at, client_updated_at)
      values (new_id, uid, r.position, r.image_path, r.caption, r.deleted_at, ts);
    exception when unique_violation then
      -- the id belongs to a row this member cannot see (another member's): take a new one
      new_id := gen_random_uuid();
      insert into public.vision_boards (id, user_id, position, image_path, caption, deleted_at, client_updated_at)
      values (new_id, uid, r.position, r.image_path, r.caption, r.deleted_at, ts);
    end;
    return jsonb_build_object('status', 'applied', 'id', new_id);
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

-- The server's rows behind a pushed row (same id or natural key), in sync_pull's shape: what
-- a device takes back when the server refused its change.
create or replace function private.sync_current(uid uuid, tbl text, rec jsonb)
returns jsonb
language sql
volatile
set search_path = ''
as $$
  select coalesce(case tbl
    when 'daily_sessions' then (select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s) - 'change_xid')
      from public.daily_sessions s where s.user_id = uid and (s.id::text = rec ->> 'id' or s.date::text = rec ->> 'date'))
    when 'affirmations' then (select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(a) - 'change_xid')
      from public.affirmations a where a.user_id = uid and a.id::text = rec ->> 'id')
    when 'vision_boards' then (select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(v) - 'change_xid')
      from public.vision_boards v where v.user_id = uid and (v.id::text = rec ->> 'id' or v.position::text = rec ->> 'position'))
    when 'user_settings' then (select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(st) - 'change_xid')
      from public.user_settings st where st.id = uid)
    -- with the first day this push is about to adopt (sync_ops_flush_stats), so that a device
    -- taking its profile back never moves its first day later
    when 'profile' then (select pg_catalog.jsonb_agg(pg_catalog.jsonb_set(pg_catalog.to_jsonb(p) - 'change_xid',
        '{first_day}', pg_catalog.to_jsonb(least(p.first_day,
          nullif(pg_catalog.current_setting('chris.first_day_claim', true), '')::date))))
      from public.profiles p where p.id = uid)
  end, '[]'::jsonb)
$$;

grant execute on function private.sync_current(uuid, text, jsonb) to authenticated;

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
  problem jsonb;
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
        -- fields of a row that the server refused while the others applied
        for problem in select p from jsonb_array_elements(coalesce(outcome -> 'problems', '[]'::jsonb)) p loop
          rejected := rejected || jsonb_build_array(jsonb_build_object(
            'table', tbl, 'id', rec ->> 'id', 'field', problem ->> 'field', 'code', problem ->> 'code',
            'reason', problem ->> 'reason', 'current', private.sync_current(uid, tbl, rec)));
        end loop;
      exception when others then
        rejected := rejected || jsonb_build_array(jsonb_build_object(
          'table', tbl, 'id', case when jsonb_typeof(rec) = 'object' then rec ->> 'id' end,
          'code', sqlstate, 'reason', sqlerrm,
          'current', case when jsonb_typeof(rec) = 'object' then private.sync_current(uid, tbl, rec) else '[]'::jsonb end));
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
