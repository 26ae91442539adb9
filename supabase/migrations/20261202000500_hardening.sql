-- Hardening found by break-in attempts (issue 17, item 7). None of them let a member change
-- another member's data; each is closed anyway:
--   1. object paths: one strict rule for every path a member writes (no `..`, `\` or empty
--      segment), used by the path columns and the Storage policies;
--   2. the AI daily quota counts on the UTC day of now(), a clock the member cannot move;
--   3. no function in `private` is executable by PUBLIC (anon included); members get only the
--      ones their own requests (sync_push, sync_pull and the path checks) run;
--   4. violent_actions_library.times_completed counts each member-day once.

-- =============================================
-- 1. Object paths
-- =============================================
-- A member's object path is `<member uuid>/<segment>[/<segment>...]`: the owner's uuid as
-- PostgreSQL prints it, then one or more segments of letters, digits, `_` and `-`, with single
-- dots only between them (`2026-12-01-recording.ogg`). So no `..` or `.` segment, no `\`, no
-- empty segment, no leading or trailing `/`, at most 1024 characters. The Python twin is
-- src/chris_app/sync/paths.py; tests/db/test_db_path_rule.py feeds both the same cases.
-- Not SECURITY DEFINER and no search_path setting, so the planner can inline it in policies.
create or replace function private.object_path_ok(p_path text, p_owner uuid)
returns boolean
language sql
immutable
parallel safe
as $$
  select coalesce(
    char_length(p_path) <= 1024
    and p_path ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(/[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)+$'
    and split_part(p_path, '/', 1) = p_owner::text,
    false)
$$;

alter table public.daily_sessions drop constraint recording_path_in_own_folder;
alter table public.daily_sessions add constraint recording_path_in_own_folder
  check (recording_path is null or private.object_path_ok(recording_path, user_id));
alter table public.vision_boards drop constraint image_path_in_own_folder;
alter table public.vision_boards add constraint image_path_in_own_folder
  check (private.object_path_ok(image_path, user_id));

-- The policies of 20261126000800_storage.sql, with the same rule in place of the first folder.
drop policy "Members can read their own files" on storage.objects;
create policy "Members can read their own files" on storage.objects
  for select to authenticated
  using (bucket_id in ('recordings', 'vision-boards', 'exports')
         and private.object_path_ok(name, (select auth.uid())));

drop policy "Members can upload into their own folder" on storage.objects;
create policy "Members can upload into their own folder" on storage.objects
  for insert to authenticated
  with check (bucket_id in ('recordings', 'vision-boards')
              and private.object_path_ok(name, (select auth.uid())));

drop policy "Members can replace their own files" on storage.objects;
create policy "Members can replace their own files" on storage.objects
  for update to authenticated
  using (bucket_id in ('recordings', 'vision-boards')
         and private.object_path_ok(name, (select auth.uid())))
  with check (bucket_id in ('recordings', 'vision-boards')
              and private.object_path_ok(name, (select auth.uid())));

drop policy "Members can delete their own files" on storage.objects;
create policy "Members can delete their own files" on storage.objects
  for delete to authenticated
  using (bucket_id in ('recordings', 'vision-boards', 'exports')
         and private.object_path_ok(name, (select auth.uid())));

-- =============================================
-- 2. The AI daily quota on a clock the member cannot move
-- =============================================
-- Before, the quota day was the member's protocol day, computed from their own time zone and
-- day start, which they can change at will: moving either forward opened "tomorrow's" quota
-- today. The quota day is now the UTC date of now(), the one place both functions read it.
create or replace function private.ai_quota_day()
returns date
language sql
stable
as $$
  select (now() at time zone 'UTC')::date
$$;

-- As in 20261126001000_billing_and_quota.sql, on the UTC day.
create or replace function public.consume_ai_quota(p_user_id uuid, p_feature text, p_daily_limit integer)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
  if p_daily_limit <= 0 or not exists (select 1 from public.profiles p where p.id = p_user_id) then
    return false;
  end if;
  insert into public.ai_usage as u (user_id, day, feature, count)
  values (p_user_id, private.ai_quota_day(), p_feature, 1)
  on conflict (user_id, day, feature) do update set count = u.count + 1
   where u.count < p_daily_limit;
  return found;
end
$$;
revoke execute on function public.consume_ai_quota(uuid, text, integer) from public, anon, authenticated;
grant execute on function public.consume_ai_quota(uuid, text, integer) to service_role;

-- As in 20261126001000_edge_functions.sql, on the UTC day. A call that began just before UTC
-- midnight and failed just after it gives its unit back to the day it was taken from.
create or replace function public.refund_ai_quota(p_user_id uuid, p_feature text)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  today constant date := private.ai_quota_day();
begin
  update public.ai_usage u set count = u.count - 1
   where (u.user_id, u.day, u.feature) = (
           select v.user_id, v.day, v.feature from public.ai_usage v
            where v.user_id = p_user_id and v.feature = p_feature and v.count > 0
              and v.day between today - 1 and today
            order by v.day desc limit 1);
  return found;
end
$$;
revoke execute on function public.refund_ai_quota(uuid, text) from public, anon, authenticated;
grant execute on function public.refund_ai_quota(uuid, text) to service_role;

-- =============================================
-- 4. times_completed: each member-day once
-- =============================================
-- As in 20261202000200_streak_freezes.sql, except for the library counter. It used to add one
-- whenever a day's action became completed, so completing, un-completing and completing again
-- counted the same day twice. Now it is kept equal to the number of member-days whose action
-- (violent_action_id) is completed: +1 when a day enters that state, -1 when it leaves it
-- (un-completed, another action chosen, or the day deleted).
create or replace function public.daily_sessions_after_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  u uuid := coalesce(new.user_id, old.user_id);
  was_done boolean := tg_op <> 'INSERT' and old.morning_completed;
  is_done boolean := tg_op <> 'DELETE' and new.morning_completed;
  was_action uuid := case when tg_op <> 'INSERT' and old.action_completed then old.violent_action_id end;
  is_action uuid := case when tg_op <> 'DELETE' and new.action_completed then new.violent_action_id end;
begin
  perform private.lock_member_stats(u);
  if was_done and not is_done then
    perform private.remove_completed_day(u, old.date);
    perform private.rewalk_from(u, old.date);
  elsif is_done and not was_done then
    perform private.add_completed_day(u, new.date);
    perform private.rewalk_from(u, new.date);
  end if;
  if was_action is distinct from is_action then
    if was_action is not null then
      update public.violent_actions_library l set times_completed = greatest(l.times_completed - 1, 0)
       where l.id = was_action;
    end if;
    if is_action is not null then
      update public.violent_actions_library l set times_completed = l.times_completed + 1
       where l.id = is_action;
    end if;
  end if;
  -- sync_push defers the profile refresh to the end of its batch (see the sync_ops trigger)
  if current_setting('chris.deferred_stats', true) is distinct from u::text then
    perform private.refresh_profile_stats(u);
  end if;
  return null;
end
$$;
revoke execute on function public.daily_sessions_after_write() from public, anon, authenticated;

-- The counts so far, recounted on the new definition.
update public.violent_actions_library l
   set times_completed = coalesce((select count(*) from public.daily_sessions s
                                    where s.violent_action_id = l.id and s.action_completed), 0)
 where l.times_completed is distinct from coalesce((select count(*) from public.daily_sessions s
                                    where s.violent_action_id = l.id and s.action_completed), 0);

-- =============================================
-- 3. Functions in `private`: nothing for PUBLIC
-- =============================================
-- PostgreSQL grants EXECUTE on every new function to PUBLIC; `alter default privileges in
-- schema private revoke ...` (20261126000100_base.sql) cannot remove that global grant, so
-- every function created after the base migration was executable by anon. Revoke it from all
-- of them (a function added later must revoke its own; the lint catches one that does not),
-- then grant members only
-- what their own requests run: sync_push and sync_pull are SECURITY INVOKER and call the sync
-- helpers and the reachability facts; the path rule runs in check constraints and Storage
-- policies as the member. Trigger functions need no EXECUTE to fire; SECURITY DEFINER callers
-- run as the owner. tests/db/test_db_lint.py checks that anon can execute nothing here.
revoke execute on all functions in schema private from public, anon, authenticated;
grant execute on function
  private.sync_apply_session(uuid, jsonb),
  private.sync_apply_affirmation(uuid, jsonb),
  private.sync_apply_tile(uuid, jsonb),
  private.sync_apply_settings(uuid, jsonb),
  private.sync_apply_profile(uuid, jsonb),
  private.sync_apply_fields(uuid, text, text, text, text[], jsonb, timestamptz),
  private.sync_current(uuid, text, jsonb),
  private.client_time(jsonb, text),
  private.jsonb_pick(jsonb, text[]),
  private.reminder_reachability(uuid),
  private.sender_alive(text),
  private.object_path_ok(text, uuid)
  to authenticated, service_role;
-- The quota functions run as the service role (the edge functions) and read the quota day here.
grant usage on schema private to service_role;
grant execute on function private.ai_quota_day() to service_role;
