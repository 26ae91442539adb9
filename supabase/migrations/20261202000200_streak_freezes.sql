-- Streak freezes (issue 16, item 1; docs/rules.md#streak-freezes): every 7 completed days of a
-- streak earn a freeze (at most 2 held); a missed day is bridged by spending one, which keeps the
-- streak without lengthening it. The current and longest streaks become the bridged ones (the
-- leaderboard follows profiles.current_streak, so it ranks by the bridged streak too).
--
-- The walk's state is kept per completed day, so no write walks the whole history:
--   * private.streak_walk: for every completed day on or after first_day, the walk's state
--     after that day (streak, best, freezes held, completed days since the last freeze was
--     earned). Between two completed days only missed days lie, so the next row follows from
--     the previous one and the gap in one step: a gap of g days is bridged when the streak holds
--     g freezes or more (those g days are frozen), else the streak breaks after spending them.
--   * A change to the completed day d (or to first_day) rewrites the rows from d on
--     (private.rewalk_from): O(completed days since d). Saving today's session writes one row.
--   * private.compute_stats reads the last row by the window's end E and the gap to E (index
--     lookup): current streak, longest streak, freezes held; and the frozen days of the 90-day
--     window from the ≤ 92 rows before E.
--   * profiles.freezes_held and profiles.frozen_days (the frozen days in the window, oldest
--     first) are written with the other statistics, by the server only, and reach devices in
--     the pulled profile; devices show their own computation of the same rule.
-- Days before first_day are not walked (as the device's chris_app.domain.stats.walk).

-- =============================================
-- Tables and columns
-- =============================================
create table private.streak_walk (
  user_id uuid not null references public.profiles (id) on delete cascade,
  day date not null,
  streak integer not null,
  best integer not null,
  freezes integer not null,
  since_earn integer not null,
  primary key (user_id, day)
);

alter table public.profiles
  add column freezes_held integer not null default 0 check (freezes_held between 0 and 2),
  add column frozen_days date[] not null default '{}';
comment on column public.profiles.freezes_held is
  'Streak freezes held at the statistics window''s end (docs/rules.md#streak-freezes); server-written.';
comment on column public.profiles.frozen_days is
  'The days of the 90-day statistics window a streak freeze was spent on, oldest first; server-written.';
-- Members update profiles through column grants only (20261126000200_profiles.sql); these two
-- are not granted, so only the statistics triggers and jobs write them.

-- =============================================
-- The walk
-- =============================================
-- Rewrites member u's walk rows from day d on (d before first_day: from first_day).
-- O(completed days from d on). Callers hold private.lock_member_stats(u).
create or replace function private.rewalk_from(u uuid, d date)
returns void
language plpgsql
set search_path = ''
as $$
declare
  fd date;
  v_day date;
  v_prev date;
  v_streak integer;
  v_best integer;
  v_freezes integer;
  v_since integer;
  v_gap integer;
begin
  select p.first_day into fd from public.profiles p where p.id = u;
  if fd is null then
    return;  -- the member is being deleted
  end if;
  d := greatest(d, fd);
  delete from private.streak_walk w where w.user_id = u and (w.day >= d or w.day < fd);
  select w.day, w.streak, w.best, w.freezes, w.since_earn into v_prev, v_streak, v_best, v_freezes, v_since
    from private.streak_walk w where w.user_id = u and w.day < d order by w.day desc limit 1;
  if v_prev is null then
    v_prev := fd - 1;
    v_streak := 0; v_best := 0; v_freezes := 0; v_since := 0;
  end if;
  for v_day in select s.date from public.daily_sessions s
                where s.user_id = u and s.date >= d and s.morning_completed order by s.date loop
    v_gap := v_day - v_prev - 1;
    if v_gap > 0 then
      if v_streak > 0 and v_freezes >= v_gap then
        v_freezes := v_freezes - v_gap;  -- every missed day of the gap is frozen
      else
        v_streak := 0; v_freezes := 0; v_since := 0;
      end if;
    end if;
    v_streak := v_streak + 1;
    v_since := v_since + 1;
    v_best := greatest(v_best, v_streak);
    if v_since = 7 then
      v_freezes := least(v_freezes + 1, 2);
      v_since := 0;
    end if;
    insert into private.streak_walk (user_id, day, streak, best, freezes, since_earn)
    values (u, v_day, v_streak, v_best, v_freezes, v_since);
    v_prev := v_day;
  end loop;
end
$$;
revoke execute on function private.rewalk_from(uuid, date) from public, anon, authenticated;

-- Every member's walk from their first day (once, O(all completed days)).
do $$
declare
  r record;
begin
  for r in select p.id, p.first_day from public.profiles p loop
    perform private.rewalk_from(r.id, r.first_day);
  end loop;
end
$$;

-- =============================================
-- The statistics, now with freezes
-- =============================================
-- As in 20261126000700_statistics.sql (one SQL statement, inlined into refresh_stale_stats),
-- with the streaks from the walk and two more columns. With W = the last walk row by the
-- window's end E and g = E - W.day missed days after it: the streak holds when W.freezes >= g
-- (current streak W.streak, freezes W.freezes - g), else it is 0 with no freezes; the longest
-- streak is W.best. A frozen day lies within 2 days after its row, so the window's frozen days
-- come from the rows from E - 91 on.
drop function private.compute_stats(uuid, date);
create function private.compute_stats(u uuid, today date)
returns table (current_streak integer, longest_streak integer, total_days_completed integer,
               completion_rate numeric, average_discipline_rating numeric, discipline_score numeric,
               freezes_held integer, frozen_days date[])
language sql
stable
as $$
  select
    coalesce(case when wk.freezes >= b.e - wk.day then wk.streak end, 0)::integer,
    coalesce(wk.best, 0)::integer,
    coalesce(st.completed_count, 0)::integer,
    case when b.e < w.ws then 0::numeric
         else pg_catalog.round(win.done * 100.0 / (b.e - w.ws + 1), 2) end,
    case when b.e < w.ws then 0::numeric
         else coalesce(pg_catalog.round(win.mean, 1), 0::numeric) end,
    case when st.score_anchor is null or b.e < p.first_day then 0::numeric
         else pg_catalog.round((greatest((st.score_at_anchor - lt.later)
                                * private.score_decay() ^ (b.e - st.score_anchor), 0) * 100)::numeric, 1) end,
    coalesce(case when wk.freezes >= b.e - wk.day then wk.freezes - (b.e - wk.day) end, 0)::integer,
    fz.days
  from public.profiles p
  cross join lateral (
    select case when exists (select 1 from public.daily_sessions s
                              where s.user_id = u and s.date = today and s.morning_completed)
                then today else today - 1 end as e) b
  cross join lateral (select greatest(b.e - 89, p.first_day) as ws) w
  left join lateral (
    select k.day, k.streak, k.best, k.freezes from private.streak_walk k
     where k.user_id = u and k.day <= b.e order by k.day desc limit 1) wk on true
  cross join lateral (
    select coalesce(pg_catalog.array_agg(f.d order by f.d), '{}'::date[]) as days
      from (select k.day, k.freezes,
                   coalesce(pg_catalog.lead(k.day) over (order by k.day), b.e + 1) as next_day
              from private.streak_walk k
             where k.user_id = u and k.day between b.e - 91 and b.e) r
     cross join lateral pg_catalog.generate_series(1, least(r.freezes, r.next_day - r.day - 1)) g (i)
     cross join lateral (select r.day + g.i as d) f
     where f.d >= w.ws) fz
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
revoke execute on function private.compute_stats(uuid, date) from public, anon, authenticated;

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
    freezes_held = s.freezes_held,
    frozen_days = s.frozen_days,
    stats_day = t
  from private.compute_stats(u, t) s
  where p.id = u
    and (p.current_streak, p.longest_streak, p.total_days_completed, p.completion_rate,
         p.average_discipline_rating, p.discipline_score, p.freezes_held, p.frozen_days, p.stats_day)
        is distinct from
        (s.current_streak, s.longest_streak, s.total_days_completed, s.completion_rate,
         s.average_discipline_rating, s.discipline_score, s.freezes_held, s.frozen_days, t);
end
$$;

-- The day-boundary job (20261201000300_jobs_speed.sql), writing the two new columns too.
create or replace function public.refresh_stale_stats(p_now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
set jit = off
as $$
declare
  n integer;
begin
  update public.profiles p set
    current_streak = s.current_streak,
    longest_streak = s.longest_streak,
    total_days_completed = s.total_days_completed,
    completion_rate = s.completion_rate,
    average_discipline_rating = s.average_discipline_rating,
    discipline_score = s.discipline_score,
    freezes_held = s.freezes_held,
    frozen_days = s.frozen_days,
    stats_day = stale.today
  from private.stale_members(p_now) stale
  cross join lateral private.compute_stats(stale.id, stale.today) s
  where p.id = stale.id;
  get diagnostics n = row_count;
  return n;
end
$$;
revoke execute on function public.refresh_stale_stats(timestamptz) from public, anon, authenticated, service_role;

-- From scratch (bulk loads, tests, adopt_first_day): the walk too.
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
  perform private.rewalk_from(u, fd);
  perform private.refresh_profile_stats(u);
end
$$;

-- =============================================
-- Triggers
-- =============================================
-- As in 20261126000700_statistics.sql, plus the walk from the changed day on.
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
    perform private.rewalk_from(u, old.date);
  elsif is_done and not was_done then
    perform private.add_completed_day(u, new.date);
    perform private.rewalk_from(u, new.date);
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

-- A new first day changes the walk from the earlier of the two days on.
create or replace function public.profiles_first_day_walk()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.lock_member_stats(new.id);
  perform private.rewalk_from(new.id, least(old.first_day, new.first_day));
  return null;
end
$$;
revoke execute on function public.profiles_first_day_walk() from public, anon, authenticated;

create trigger profiles_first_day_walk after update of first_day on public.profiles
  for each row when (old.first_day is distinct from new.first_day)
  execute function public.profiles_first_day_walk();
