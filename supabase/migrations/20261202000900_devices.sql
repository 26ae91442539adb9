-- Devices (issue 18, item 5): every pull says which app it comes from, and a member can list
-- their devices (Settings).
--
--   * sync_pull gains `platform` and `app_version`, kept on the member's last_seen row of that
--     device (client_id) with the server time of the pull. A value outside the rules below is
--     stored as null and never fails the pull: a pull is how a device gets its data, and the
--     device label is only a label. The two-argument pull is dropped (PostgREST would otherwise
--     find two candidates for a call that names only since and client_id).
--   * last_seen's platform and app_version follow the same rules (constraints), so a member
--     writing their own row directly cannot store anything else either.
--   * public.my_devices(): the caller's own devices, newest first.
-- Members still write last_seen only for themselves: the policies of
-- 20261126000900_notifications.sql (supabase/tests/database/21-devices.sql proves them).

-- =============================================
-- The rules of a device label
-- =============================================
-- A platform is one the app runs on: android, ios, windows, macos, linux or web. A version is
-- 1 to 40 characters of digits, letters, '.', '+' and '-' ("1.4.0", "2.0.0-rc.1+7"). Written
-- out twice below, in the constraints and in sync_pull (a helper function would be one more
-- private function every member must be able to execute).
-- Rows written before this migration: no client sent either value, so at most a direct write
-- could have put one there; whatever does not follow the rules becomes null.
update public.last_seen l
   set platform = case when l.platform in ('android', 'ios', 'windows', 'macos', 'linux', 'web') then l.platform end,
       app_version = case when l.app_version ~ '^[0-9A-Za-z.+-]{1,40}$' then l.app_version end
 where l.platform is not null or l.app_version is not null;
alter table public.last_seen
  add constraint last_seen_platform_known
    check (platform in ('android', 'ios', 'windows', 'macos', 'linux', 'web')),
  add constraint last_seen_app_version_format
    check (app_version ~ '^[0-9A-Za-z.+-]{1,40}$');

-- =============================================
-- Sync
-- =============================================
drop function public.sync_pull(bigint, uuid);

-- sync_pull as in 20261202000800_rate_limits.sql (the 'sync' token first), plus the device's
-- platform and app version on its last_seen row. Every pull that names its client_id writes
-- the row's label as sent: a value outside the rules, or none, is stored as null.
create function public.sync_pull(since bigint default 0, client_id uuid default null,
                                 platform text default null, app_version text default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  -- taken before the rows are read: every transaction below it had finished by then
  horizon xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
  since_xid xid8 := greatest(coalesce(since, 0), 0)::text::xid8;
  -- the rules of the constraints above; anything else is null
  device_platform text := case when sync_pull.platform in ('android', 'ios', 'windows', 'macos', 'linux', 'web')
                               then sync_pull.platform end;
  device_version text := case when sync_pull.app_version ~ '^[0-9A-Za-z.+-]{1,40}$' then sync_pull.app_version end;
begin
  if uid is null then
    raise exception 'sign in to sync' using errcode = '42501';
  end if;
  perform private.enforce_rate_limit('sync');
  if sync_pull.client_id is not null then
    insert into public.last_seen as l (user_id, client_id, platform, app_version)
    values (uid, sync_pull.client_id, device_platform, device_version)
    on conflict on constraint last_seen_pkey do update
       set seen_at = now(), platform = excluded.platform, app_version = excluded.app_version;
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
          from public.profiles p where p.id = uid and p.change_xid >= since_xid), '[]'::jsonb),
      'reach', (select jsonb_build_array(to_jsonb(r)) from private.reminder_reachability(uid) r)));
end
$$;
revoke execute on function public.sync_pull(bigint, uuid, text, text) from public, anon;
grant execute on function public.sync_pull(bigint, uuid, text, text) to authenticated;

-- =============================================
-- The member's devices
-- =============================================
-- The caller's own devices (one per sync client id), the one seen last first. Runs as the
-- caller: RLS shows the member only their own rows; the filter says so outright.
create or replace function public.my_devices()
returns table (client_id uuid, platform text, app_version text, seen_at timestamptz)
language sql
stable
set search_path = ''
as $$
  select l.client_id, l.platform, l.app_version, l.seen_at
    from public.last_seen l
   where l.user_id = (select auth.uid())
   order by l.seen_at desc, l.client_id
$$;
revoke execute on function public.my_devices() from public, anon;
grant execute on function public.my_devices() to authenticated;
