-- The reminder job's INSERT at 1,000,000 members (issue 14, item 3): the same reminders, the
-- same guarantees, without one foreign-key check per queued row.
--
-- Where the time went (benchmarks/db_jobs.py, 05:00 UTC slot, 27,557 push reminders, backend
-- CPU seconds, medians of 3; the machine was loaded, so wall times were 3-7x these):
--   * 0.55 s finding the due members (20261201000300_jobs_speed.sql): 0.18 s the per-zone
--     profile lookups, 0.17 s the user_settings probes, 0.18 s the daily_sessions probes. The
--     probes came in (zone, reminder time) order, i.e. random member ids, one btree descent
--     each into indexes larger than shared_buffers.
--   * 0.73 s inserting the rows: 0.45 s of it the foreign key user_id -> profiles. PostgreSQL
--     checks a foreign key with one AFTER ROW trigger per inserted row, each an SPI query
--     locking the member's profile row FOR KEY SHARE (a write to a random profile page: one
--     WAL record each, and a full-page image after every checkpoint in production). ON
--     CONFLICT cost 0.05 s, the partial pending index 0.03 s, the identity and the primary key
--     0.03-0.1 s, the unique key 0.08 s; the heap itself 0.1 s.
--
-- What changes:
--   * queue_reminders collects the due members first (the same per-zone lookups), sorts them
--     by member id, and probes user_settings and daily_sessions in that order: neighbouring
--     ids share index pages, so the probes walk the indexes instead of jumping (0.55 -> 0.38 s).
--     Each is one index probe per due member (LATERAL ... OFFSET 0, a scalar subquery): joined,
--     the planner hashed all of daily_sessions, which grows by a row per member per day.
--   * The foreign key notification_queue.user_id -> profiles is replaced by triggers that keep
--     the same guarantees set-wise, one statement instead of one check per row:
--       - an insert whose user_id is not a member fails (foreign_key_violation), checked once
--         per INSERT statement over its new rows (an anti-join on the profiles primary key);
--       - deleting a member deletes their queued reminders (ON DELETE CASCADE before), also
--         on TRUNCATE;
--       - user_id of a queued reminder cannot change (before: it could change to another
--         member; nothing did).
--     The row lock that a foreign key check takes is what made it safe against a member
--     deleted at the same moment. Here the job, every other insert and every member deletion
--     take one shared row, private.notification_queue_fence, until they commit, so they run
--     one after the other:
--       - a deletion that came first has committed before the job's INSERT takes its
--         snapshot: the job does not see the member;
--       - a job that came first has committed before the deletion's DELETE of queued rows
--         takes its snapshot (READ COMMITTED: each statement of the trigger takes a new one):
--         the deletion sees and removes the job's rows;
--       - in REPEATABLE READ or SERIALIZABLE, whichever second one's snapshot is older than the
--         other's commit fails to update the fence ("could not serialize access"), as the
--         foreign key's cascade raised in that case: retried, it sees the other's work.
--     Member deletions thus wait for a running job (under a second) and for each other; they
--     are rare. Concurrent jobs run one after the other; the unique key (user_id, kind,
--     channel, protocol_day) still guarantees no reminder twice, ON CONFLICT DO NOTHING stays.
--   * Kept as they were, measured and not worth their trade: ON CONFLICT (0.05 s, and a
--     NOT EXISTS filter costs the same probe), the partial pending index and the identity
--     (the dispatchers claim through them), the deep_link column (the dispatcher reads it and
--     other writers set it), one row per channel (the dispatchers claim per channel). Push
--     rows are queued only where push_notifications is on, email rows only where
--     email_reminders is on, as before: the schema knows no push token that would say more.
-- Measured after (same benchmark, baseline = the previous body with the foreign key, same run):
-- backend CPU 0.77 and 0.93 s in two runs against 1.16 and 1.39 s (x1.5).
-- Results are the same rows as before for every member and instant (pgTAP 12-jobs-speed.sql;
-- 08-data-rights-billing.sql: a deleted member leaves no queued reminder; tests/db/
-- test_db_queue_concurrency.py: a deletion or a second job during a run, two connections).

-- =============================================
-- Tables
-- =============================================
-- One row that the reminder job, every insert into notification_queue and every member
-- deletion update (and so lock until they commit): the serialization a foreign key's row locks
-- gave, see above. The generation counts those writes; nothing reads it.
create table private.notification_queue_fence (
  id boolean primary key default true check (id),
  generation bigint not null default 0
);
insert into private.notification_queue_fence default values;
revoke all on private.notification_queue_fence from public, anon, authenticated, service_role;

-- =============================================
-- Foreign key -> triggers
-- =============================================
alter table public.notification_queue drop constraint notification_queue_user_id_fkey;

-- Every INSERT statement: after the fence, none of its rows may name a non-member. The new
-- snapshot of this statement sees any deletion that committed before the fence was taken.
create or replace function private.notification_queue_members_exist()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  stranger uuid;
begin
  update private.notification_queue_fence set generation = generation + 1;
  select n.user_id into stranger
    from new_rows n
   where not exists (select 1 from public.profiles p where p.id = n.user_id)
   limit 1;
  if found then
    raise exception using
      errcode = 'foreign_key_violation',
      message = 'insert on table "notification_queue" violates its member reference',
      detail = format('Key (user_id)=(%s) is not present in table "profiles".', stranger);
  end if;
  return null;
end
$$;
revoke execute on function private.notification_queue_members_exist() from public, anon, authenticated, service_role;
create trigger notification_queue_members_exist after insert on public.notification_queue
  referencing new table as new_rows
  for each statement execute function private.notification_queue_members_exist();

-- A queued reminder belongs to one member for good.
create or replace function private.notification_queue_keep_member()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    errcode = 'foreign_key_violation',
    message = 'the member of a queued reminder (notification_queue.user_id) cannot change';
end
$$;
revoke execute on function private.notification_queue_keep_member() from public, anon, authenticated, service_role;
create trigger notification_queue_keep_member before update of user_id on public.notification_queue
  for each row when (new.user_id is distinct from old.user_id)
  execute function private.notification_queue_keep_member();

-- Deleting members (directly or through auth.users) deletes their queued reminders, after the
-- fence: a job or insert still running commits first and its rows are seen here.
create or replace function private.notification_queue_drop_members()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update private.notification_queue_fence set generation = generation + 1;
  if tg_op = 'TRUNCATE' then
    delete from public.notification_queue;
  else
    delete from public.notification_queue q using old_rows o where q.user_id = o.id;
  end if;
  return null;
end
$$;
revoke execute on function private.notification_queue_drop_members() from public, anon, authenticated, service_role;
create trigger profiles_drop_notifications after delete on public.profiles
  referencing old table as old_rows
  for each statement execute function private.notification_queue_drop_members();
create trigger profiles_truncate_notifications after truncate on public.profiles
  for each statement execute function private.notification_queue_drop_members();

-- =============================================
-- Functions
-- =============================================
-- The reminder job (unchanged contract, see 20261126000900_notifications.sql and
-- 20261201000300_jobs_speed.sql): the reminders of the 15-minute slot containing p_now, for
-- every member whose local morning or evening time falls in it, in one INSERT ... SELECT.
-- The fence first, so that the INSERT's snapshot comes after any member deletion in progress.
-- Per zone, the due members through (timezone, reminder time) (LATERAL ... OFFSET 0: one
-- nested loop per zone, not a hash of whole tables), their protocol day inline; then, in member
-- id order, their settings (covering index) and that day's session (unique key).
-- work_mem 32MB: the member check above reads the statement's new rows (tens of thousands, a
-- few MB) from memory instead of a temporary file: 0.05-0.15 s for the check instead of 0.3 s.
create or replace function public.queue_reminders(p_now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
set jit = off
set work_mem = '32MB'
as $$
declare
  n integer;
begin
  update private.notification_queue_fence set generation = generation + 1;
  with zones as (
    select z.name,
           p_now at time zone z.name as local_now,
           (s.start_at at time zone z.name)::time as local_from,
           case when (s.start_at at time zone z.name)::time >= time '23:45' then time '24:00'
                else (s.start_at at time zone z.name)::time + interval '15 minutes' end as local_to
      from private.member_timezones() z (name),
           (select pg_catalog.date_bin('15 minutes', p_now, timestamptz '2000-01-01 00:00+00')) s (start_at)
  ), due as materialized (
    select d.id, d.morning, d.day
      from zones z
     cross join lateral (
       -- the protocol day of public.protocol_day(p_now, timezone, day_start), inline
       select p.id, true as morning,
              (z.local_now - pg_catalog.make_interval(hours => p.day_start))::date as day
         from public.profiles p
        where p.timezone = z.name
          and p.morning_protocol_time >= z.local_from and p.morning_protocol_time < z.local_to
          and (p.subscription_status in ('active', 'past_due')
               or (p.subscription_status = 'trial' and p.trial_ends_at > p_now))
       union all
       select p.id, false,
              (z.local_now - pg_catalog.make_interval(hours => p.day_start))::date
         from public.profiles p
        where p.timezone = z.name
          and p.evening_review_time >= z.local_from and p.evening_review_time < z.local_to
          and (p.subscription_status in ('active', 'past_due')
               or (p.subscription_status = 'trial' and p.trial_ends_at > p_now))
       offset 0) d
     order by d.id  -- the probes below in key order: neighbouring ids share index pages
  )
  insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
  select d.id,
         case when d.morning then 'morning_reminder' else 'evening_reminder' end,
         c.channel, d.day,
         case when d.morning then 'chrisapp://open/morning' else 'chrisapp://open/evening' end,
         p_now
    from due d
    -- one index probe per due member whatever the tables' sizes: joined or as NOT EXISTS, the
    -- planner hashed all of daily_sessions (200,000 rows in the benchmark, a year per member
    -- in production) because it cannot know how few members are due
   cross join lateral (
     select st.push_notifications, st.email_reminders, st.morning_reminder, st.evening_reminder
       from public.user_settings st
      where st.id = d.id
     offset 0) st
   cross join lateral (values ('push', st.push_notifications), ('email', st.email_reminders)) c (channel, enabled)
   where c.enabled
     and case when d.morning then st.morning_reminder else st.evening_reminder end
     -- that part of the day not done: (user_id, date) is unique, so at most one row
     and not coalesce((select case when d.morning then s.morning_completed else s.evening_completed end
                         from public.daily_sessions s
                        where s.user_id = d.id and s.date = d.day), false)
  on conflict (user_id, kind, channel, protocol_day) do nothing;
  get diagnostics n = row_count;
  return n;
end
$$;
-- pg_cron runs it as postgres; nobody calls it through the API
revoke execute on function public.queue_reminders(timestamptz) from public, anon, authenticated, service_role;
