-- Statistics (docs/rules.md, "Days and figures") kept current on profiles whenever sessions change.
--
-- Cost per write must not grow with the length of a member's history, so nothing here walks
-- the whole history on a write:
--   * runs of consecutive completed days are stored (private.completion_runs); completing a day
--     merges at most two runs, un-completing one splits at most one: index lookups only.
--     current streak = the run containing the window end; longest = the longest run (index).
--   * total_days_completed is a counter.
--   * completion rate and average rating read at most 90 rows (the window) by index.
--   * the discipline score, an EMA, is linear in the completed days:
--       score(E) = sum over completed d in [first_day, E] of (1 - m) * m^(E - d)
--     so it is kept as its value at an anchor day (the latest completed day) and each completed
--     or un-completed day adds or subtracts its own term; reading it at E is one multiplication.
-- private.rebuild_member_stats recomputes everything from scratch (bulk loads, tests).

-- =============================================
-- Tables
-- =============================================
create table private.completion_runs (
  user_id uuid not null references public.profiles (id) on delete cascade,
  first_date date not null,
  last_date date not null check (last_date >= first_date),
  primary key (user_id, first_date)
);
create unique index completion_runs_last_idx on private.completion_runs (user_id, last_date);
create index completion_runs_length_idx on private.completion_runs (user_id, (last_date - first_date));

create table private.member_stats_state (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  completed_count integer not null default 0,
  -- the latest completed day on or after first_day (null: none yet), and the EMA (0..1) there
  score_anchor date,
  score_at_anchor double precision not null default 0
);

-- =============================================
-- Helpers
-- =============================================
-- m = 0.5^(1/13): a 13-day half-life
create or replace function private.score_decay()
returns double precision
language sql
immutable
as $$ select pg_catalog.power(0.5::double precision, 1.0::double precision / 13) $$;

-- Serialises statistics maintenance per member: two concurrent writes of adjacent days must
-- not each create a separate run.
create or replace function private.lock_member_stats(u uuid)
returns void
language sql
set search_path = ''
as $$ select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('stats:' || u::text, 0)) $$;

create or replace function private.add_completed_day(u uuid, d date)
returns void
language plpgsql
set search_path = ''
as $$
declare
  m constant double precision := private.score_decay();
  fd date;
  left_first date;
  right_last date;
begin
  select r.first_date into left_first from private.completion_runs r where r.user_id = u and r.last_date = d - 1;
  select r.last_date into right_last from private.completion_runs r where r.user_id = u and r.first_date = d + 1;
  if left_first is not null and right_last is not null then
    delete from private.completion_runs r where r.user_id = u and r.first_date = d + 1;
    update private.completion_runs r set last_date = right_last where r.user_id = u and r.first_date = left_first;
  elsif left_first is not null then
    update private.completion_runs r set last_date = d where r.user_id = u and r.first_date = left_first;
  elsif right_last is not null then
    update private.completion_runs r set first_date = d where r.user_id = u and r.first_date = d + 1;
  else
    insert into private.completion_runs (user_id, first_date, last_date) values (u, d, d);
  end if;

  select p.first_day into fd from public.profiles p where p.id = u;
  insert into private.member_stats_state as s (user_id, completed_count, score_anchor, score_at_anchor)
  values (u, 1, case when d >= fd then d end, case when d >= fd then 1 - m else 0 end)
  on conflict (user_id) do update set
    completed_count = s.completed_count + 1,
    score_at_anchor = case
      when d < fd then s.score_at_anchor
      when s.score_anchor is null then 1 - m
      when d > s.score_anchor then s.score_at_anchor * m ^ (d - s.score_anchor) + (1 - m)
      else s.score_at_anchor + (1 - m) * m ^ (s.score_anchor - d)
    end,
    score_anchor = case when d < fd then s.score_anchor else greatest(s.score_anchor, d) end;
end
$$;

create or replace function private.remove_completed_day(u uuid, d date)
returns void
language plpgsql
set search_path = ''
as $$
declare
  m constant double precision := private.score_decay();
  fd date;
  r private.completion_runs;
begin
  select * into r from private.completion_runs c
   where c.user_id = u and c.first_date <= d order by c.first_date desc limit 1;
  if r.user_id is null or r.last_date < d then
    return;  -- nothing recorded (e.g. the member is being deleted and the runs are gone)
  end if;
  if r.first_date = d and r.last_date = d then
    delete from private.completion_runs c where c.user_id = u and c.first_date = d;
  elsif r.first_date = d then
    update private.completion_runs c set first_date = d + 1 where c.user_id = u and c.first_date = d;
  elsif r.last_date = d then
    update private.completion_runs c set last_date = d - 1 where c.user_id = u and c.first_date = r.first_date;
  else
    update private.completion_runs c set last_date = d - 1 where c.user_id = u and c.first_date = r.first_date;
    insert into private.completion_runs (user_id, first_date, last_date) values (u, d + 1, r.last_date);
  end if;

  select p.first_day into fd from public.profiles p where p.id = u;
  update private.member_stats_state s set
    completed_count = s.completed_count - 1,
    -- the anchor is never before a counted day, so the exponent is >= 0
    score_at_anchor = case when d >= fd then s.score_at_anchor - (1 - m) * m ^ (s.score_anchor - d)
                           else s.score_at_anchor end
   where s.user_id = u;
end
$$;

-- The statistics of member u as of protocol day `today` (docs/rules.md). Index lookups and at
-- most 90 session rows. One SQL statement without a SET clause so that the planner inlines it
-- into refresh_stale_stats' UPDATE (set-based, no function call per member); every name is
-- schema-qualified instead. Not SECURITY DEFINER; nobody but triggers and jobs executes it.
create or replace function private.compute_stats(u uuid, today date)
returns table (current_streak integer, longest_streak integer, total_days_completed integer,
               completion_rate numeric, average_discipline_rating numeric, discipline_score numeric)
language sql
stable
as $$
  select
    -- the run containing the window end (only the latest run starting by then can)
    coalesce(case when r.last_date >= b.e then b.e - r.first_date + 1 end, 0)::integer,
    l.longest::integer,
    coalesce(st.completed_count, 0)::integer,
    case when b.e < w.ws then 0::numeric
         else pg_catalog.round(win.done * 100.0 / (b.e - w.ws + 1), 2) end,
    case when b.e < w.ws then 0::numeric
         else coalesce(pg_catalog.round(win.mean, 1), 0::numeric) end,
    -- EMA at the window end from its value at the anchor, taking back days after the end
    case when st.score_anchor is null or b.e < p.first_day then 0::numeric
         else pg_catalog.round((greatest((st.score_at_anchor - lt.later)
                                * private.score_decay() ^ (b.e - st.score_anchor), 0) * 100)::numeric, 1) end
  from public.profiles p
  cross join lateral (
    -- window end: today if today is completed, else yesterday
    select case when exists (select 1 from public.daily_sessions s
                              where s.user_id = u and s.date = today and s.morning_completed)
                then today else today - 1 end as e) b
  cross join lateral (select greatest(b.e - 89, p.first_day) as ws) w
  left join lateral (
    select c.first_date, c.last_date from private.completion_runs c
     where c.user_id = u and c.first_date <= b.e order by c.first_date desc limit 1) r on true
  cross join lateral (
    select coalesce(max(c.last_date - c.first_date) + 1, 0) as longest
      from private.completion_runs c where c.user_id = u) l
  left join private.member_stats_state st on st.user_id = u
  cross join lateral (
    select count(*) filter (where s.morning_completed) as done, avg(s.discipline_rating) as mean
      from public.daily_sessions s where s.user_id = u and s.date between w.ws and b.e) win
  cross join lateral (
    select coalesce(sum((1 - private.score_decay()) * private.score_decay() ^ (st.score_anchor - s.date)), 0) as later
      from public.daily_sessions s
     where st.score_anchor > b.e and s.user_id = u and s.morning_completed
       and s.date > b.e and s.date <= st.score_anchor) lt
  where p.id = u
$$;

-- Writes the statistics for the member's current protocol day onto the profile (only when
-- something changed, so Realtime subscribers see real changes only).
create or replace function private.refresh_profile_stats(u uuid, today date default null)
returns void
language plpgsql
set search_path = ''
as $$
declare
  t date := today;
begin
  if t is null then
    select public.protocol_day(now(), p.timezone, p.day_start) into t from public.profiles p where p.id = u;
  end if;
  update public.profiles p set
    current_streak = s.current_streak,
    longest_streak = s.longest_streak,
    total_days_completed = s.total_days_completed,
    completion_rate = s.completion_rate,
    average_discipline_rating = s.average_discipline_rating,
    discipline_score = s.discipline_score,
    stats_day = t
  from private.compute_stats(u, t) s
  where p.id = u
    and (p.current_streak, p.longest_streak, p.total_days_completed, p.completion_rate,
         p.average_discipline_rating, p.discipline_score, p.stats_day)
        is distinct from
        (s.current_streak, s.longest_streak, s.total_days_completed, s.completion_rate,
         s.average_discipline_rating, s.discipline_score, t);
end
$$;

-- From scratch, O(history): for bulk loads and to check the incremental path in tests.
create or replace function private.rebuild_member_stats(u uuid)
returns void
language plpgsql
set search_path = ''
as $$
declare
  m constant double precision := private.score_decay();
  fd date;
  d date;
  anchor date;
  score double precision := 0;
begin
  perform private.lock_member_stats(u);
  select p.first_day into fd from public.profiles p where p.id = u;
  delete from private.completion_runs c where c.user_id = u;
  insert into private.completion_runs (user_id, first_date, last_date)
  select u, min(g.date), max(g.date)
    from (select s.date, s.date - (row_number() over (order by s.date))::integer as grp
            from public.daily_sessions s where s.user_id = u and s.morning_completed) g
   group by g.grp;
  for d in select s.date from public.daily_sessions s
            where s.user_id = u and s.morning_completed and s.date >= fd order by s.date loop
    score := case when anchor is null then 1 - m else score * m ^ (d - anchor) + (1 - m) end;
    anchor := d;
  end loop;
  insert into private.member_stats_state as st (user_id, completed_count, score_anchor, score_at_anchor)
  values (u, (select count(*) from public.daily_sessions s where s.user_id = u and s.morning_completed),
          anchor, score)
  on conflict (user_id) do update set completed_count = excluded.completed_count,
    score_anchor = excluded.score_anchor, score_at_anchor = excluded.score_at_anchor;
  perform private.refresh_profile_stats(u);
end
$$;

-- =============================================
-- Triggers
-- =============================================
-- SECURITY DEFINER: statistics columns, runs and the library counter are not writable by
-- members; this trigger is their only writer on a session change.
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
begin
  perform private.lock_member_stats(u);
  if was_done and not is_done then
    perform private.remove_completed_day(u, old.date);
  elsif is_done and not was_done then
    perform private.add_completed_day(u, new.date);
  end if;
  if tg_op <> 'DELETE' and new.action_completed and new.violent_action_id is not null
     and (tg_op = 'INSERT' or not coalesce(old.action_completed, false)
          or old.violent_action_id is distinct from new.violent_action_id) then
    update public.violent_actions_library l set times_completed = l.times_completed + 1
     where l.id = new.violent_action_id;
  end if;
  -- sync_push defers the profile refresh to the end of its batch (see the sync_ops trigger)
  if current_setting('chris.deferred_stats', true) is distinct from u::text then
    perform private.refresh_profile_stats(u);
  end if;
  return null;
end
$$;
revoke execute on function public.daily_sessions_after_write() from public, anon, authenticated;

create trigger daily_sessions_stats_on_insert after insert on public.daily_sessions
  for each row execute function public.daily_sessions_after_write();
create trigger daily_sessions_stats_on_update after update on public.daily_sessions
  for each row when (old.morning_completed is distinct from new.morning_completed
                     or old.discipline_rating is distinct from new.discipline_rating
                     or old.action_completed is distinct from new.action_completed
                     or old.violent_action_id is distinct from new.violent_action_id)
  execute function public.daily_sessions_after_write();
create trigger daily_sessions_stats_on_delete after delete on public.daily_sessions
  for each row execute function public.daily_sessions_after_write();

-- =============================================
-- Functions
-- =============================================
-- The day-boundary job: every member whose own protocol day has moved on since their
-- statistics were computed gets them recomputed (members with no session yesterday included:
-- the plan only reset members who had a row). Runs every 15 minutes from pg_cron, so each
-- member is brought to the truth within 15 minutes of their local day_start. Set-based: the
-- local time is computed once per zone, not per member, and compute_stats is inlined.
create or replace function public.refresh_stale_stats(p_now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  n integer;
begin
  with zones as (
    select z.name, p_now at time zone z.name as local_now from private.member_timezones() z (name)
  ), stale as (
    select p.id, (z.local_now - make_interval(hours => p.day_start))::date as today
      from public.profiles p join zones z on z.name = p.timezone
     where p.stats_day is distinct from (z.local_now - make_interval(hours => p.day_start))::date
  )
  update public.profiles p set
    current_streak = s.current_streak,
    longest_streak = s.longest_streak,
    total_days_completed = s.total_days_completed,
    completion_rate = s.completion_rate,
    average_discipline_rating = s.average_discipline_rating,
    discipline_score = s.discipline_score,
    stats_day = stale.today
  from stale cross join lateral private.compute_stats(stale.id, stale.today) s
  where p.id = stale.id;
  get diagnostics n = row_count;
  return n;
end
$$;
-- pg_cron runs it as postgres; nobody calls it through the API
revoke execute on function public.refresh_stale_stats(timestamptz) from public, anon, authenticated, service_role;
