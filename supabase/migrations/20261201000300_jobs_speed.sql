-- The two 15-minute jobs at 1,000,000 members (issue 14, item 3): same results, found through
-- indexes instead of a scan of every profile.
--
-- What changes against 20261126000700_statistics.sql and 20261126000900_notifications.sql:
--   * refresh_stale_stats found the stale members by computing every member's protocol day:
--     a join of all profiles with their zone, ~3 s at 1M members even when nobody's day had
--     turned. Now private.stale_members probes a new index on (timezone, stats_day, day_start)
--     three times per zone (see below), so the work follows the number of stale members, not
--     the number of members.
--   * queue_reminders already had indexes on (timezone, reminder time), but the planner joined
--     its zone list to a sequential scan of profiles (twice), of user_settings and of
--     daily_sessions: it cannot know that a zone's 15-minute slot holds a few hundred members
--     out of two thousand. Each zone is now looked up on its own (LATERAL ... OFFSET 0 keeps
--     the subquery from being flattened back into that join), and the member's protocol day
--     is computed inline (public.protocol_day has a SET clause, so it is never inlined: it was
--     one function call per due member).
--   * queue_reminders reads the settings through a covering index (below) and inserts in
--     member id order.
--   * Both jobs run with jit = off: their cost estimates (hundreds of index probes) are far
--     above jit_above_cost while the work is small, and compiling took 0.1-0.3 s per run.
-- Results are the same rows as before for every member and instant (pgTAP
-- 12-jobs-speed.sql compares both jobs with the per-member definitions across DST changes,
-- zone and day_start changes).

-- =============================================
-- Indexes
-- =============================================
-- The day-boundary job finds members whose statistics are not for their current protocol day
-- through this index (private.stale_members). stats_day changes once a day per member, so the
-- index costs one entry per member per day.
create index profiles_stats_day_idx on public.profiles (timezone, stats_day, day_start);

-- The reminder job reads each due member's reminder settings from this index alone (an
-- index-only scan: settings rarely change, so their pages stay all-visible) instead of the
-- primary key and a random heap page per member (about half the cost of those lookups at 1M
-- members). The four flags become indexed: changing one is no longer a HOT update (rare).
create index user_settings_reminders_idx on public.user_settings (id)
  include (morning_reminder, evening_reminder, push_notifications, email_reminders);

-- =============================================
-- Functions
-- =============================================
-- The members whose statistics are not for their current protocol day at p_now, with that day:
-- exactly `stats_day is distinct from protocol_day(p_now, timezone, day_start)`.
--
-- Per zone, with L = p_now in the zone's local time, D = L's date and H = L's hour, a member's
-- protocol day is (L - day_start hours)::date = D when day_start <= H, else D - 1 (day_start is
-- a whole hour 0..23). So the member is up to date exactly when (stats_day = D and
-- day_start <= H) or (stats_day = D - 1 and day_start > H): in the index order
-- (stats_day, day_start) that is the contiguous range (D - 1, H + 1) .. (D, H), and the stale
-- members are the three ranges around it: stats_day null, (stats_day, day_start) <= (D - 1, H),
-- (stats_day, day_start) > (D, H). Three index probes per zone (~500 zones) whatever the number
-- of members; nobody stale costs ~1,500 probes.
--
-- Not inlined (SET clause), on purpose: ROWS 1000 tells the planner that the caller's UPDATE
-- joins a few stale members, not a third of the table, so it looks them up by primary key
-- instead of hashing all profiles.
create or replace function private.stale_members(p_now timestamptz)
returns table (id uuid, today date)
language sql
stable
rows 1000
set search_path = ''
set jit = off
as $$
  select m.id, (z.local_now - pg_catalog.make_interval(hours => m.day_start))::date
    from (select l.name, l.local_now, l.local_now::date as d,
                 pg_catalog.date_part('hour', l.local_now)::integer as h
            from (select z.name, p_now at time zone z.name as local_now
                    from private.member_timezones() z (name)) l) z
   cross join lateral (
     select p.id, p.day_start from public.profiles p
      where p.timezone = z.name and p.stats_day is null
     union all
     select p.id, p.day_start from public.profiles p
      where p.timezone = z.name and (p.stats_day, p.day_start) <= (z.d - 1, z.h)
     union all
     select p.id, p.day_start from public.profiles p
      where p.timezone = z.name and (p.stats_day, p.day_start) > (z.d, z.h)) m
$$;
revoke execute on function private.stale_members(timestamptz) from public, anon, authenticated, service_role;

-- The day-boundary job (unchanged contract, see 20261126000700_statistics.sql): every member
-- whose own protocol day has moved on since their statistics were computed (or back: a zone
-- or day_start change) gets them recomputed, session row or not. compute_stats is inlined.
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
    stats_day = stale.today
  from private.stale_members(p_now) stale
  cross join lateral private.compute_stats(stale.id, stale.today) s
  where p.id = stale.id;
  get diagnostics n = row_count;
  return n;
end
$$;
-- pg_cron runs it as postgres; nobody calls it through the API
revoke execute on function public.refresh_stale_stats(timestamptz) from public, anon, authenticated, service_role;

-- The reminder job (unchanged contract, see 20261126000900_notifications.sql): the reminders of
-- the 15-minute slot containing p_now, for every member whose local morning or evening time
-- falls in it, in one INSERT ... SELECT. The slot's local bounds are computed once per zone;
-- then, zone by zone, the members are found through (timezone, reminder time) and only they
-- are looked up in user_settings (covering index above) and daily_sessions (its unique key),
-- and the rows are inserted in member id order. OFFSET 0 keeps the per-zone subquery a nested
-- loop: flattened, the planner hashes whole tables instead.
create or replace function public.queue_reminders(p_now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
set jit = off
as $$
declare
  n integer;
begin
  with slot as (
    select pg_catalog.date_bin('15 minutes', p_now, timestamptz '2000-01-01 00:00+00') as start_at
  ), zones as (
    select z.name,
           p_now at time zone z.name as local_now,
           (s.start_at at time zone z.name)::time as local_from,
           case when (s.start_at at time zone z.name)::time >= time '23:45' then time '24:00'
                else (s.start_at at time zone z.name)::time + interval '15 minutes' end as local_to
      from private.member_timezones() z (name), slot s
  ), eligible as (
    select m.id, m.kind, m.route, m.day, m.push_notifications, m.email_reminders
      from zones z
     cross join lateral (
       select d.id, d.kind, d.route, d.day, st.push_notifications, st.email_reminders
         from (
           -- the protocol day of public.protocol_day(p_now, timezone, day_start), inline
           select p.id, 'morning_reminder'::text as kind, '/morning'::text as route,
                  (z.local_now - pg_catalog.make_interval(hours => p.day_start))::date as day
             from public.profiles p
            where p.timezone = z.name
              and p.morning_protocol_time >= z.local_from and p.morning_protocol_time < z.local_to
              and (p.subscription_status in ('active', 'past_due')
                   or (p.subscription_status = 'trial' and p.trial_ends_at > p_now))
           union all
           select p.id, 'evening_reminder', '/evening',
                  (z.local_now - pg_catalog.make_interval(hours => p.day_start))::date
             from public.profiles p
            where p.timezone = z.name
              and p.evening_review_time >= z.local_from and p.evening_review_time < z.local_to
              and (p.subscription_status in ('active', 'past_due')
                   or (p.subscription_status = 'trial' and p.trial_ends_at > p_now))) d
         join public.user_settings st on st.id = d.id
        where case d.kind when 'morning_reminder' then st.morning_reminder else st.evening_reminder end
          and not exists (
            select 1 from public.daily_sessions s
             where s.user_id = d.id and s.date = d.day
               and case d.kind when 'morning_reminder' then s.morning_completed else s.evening_completed end)
       offset 0) m
  )
  insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
  select e.id, e.kind, c.channel, e.day, 'chrisapp://open' || e.route, p_now
    from eligible e
    cross join lateral (values ('push', e.push_notifications), ('email', e.email_reminders)) c (channel, enabled)
   where c.enabled
   order by e.id  -- unique-key and foreign-key lookups in key order: 10-20 % off the insert
  on conflict (user_id, kind, channel, protocol_day) do nothing;
  get diagnostics n = row_count;
  return n;
end
$$;
-- pg_cron runs it as postgres; nobody calls it through the API
revoke execute on function public.queue_reminders(timestamptz) from public, anon, authenticated, service_role;
