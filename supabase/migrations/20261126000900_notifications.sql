-- Reminders and presence: notification_queue (filled by the 15-minute reminder job, drained by
-- the reminder-dispatch edge function) and last_seen (one row per member and device).

-- =============================================
-- Tables
-- =============================================
create table public.notification_queue (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  kind text not null check (kind in ('morning_reminder', 'evening_reminder')),
  channel text not null check (channel in ('push', 'email')),
  protocol_day date not null,
  deep_link text not null,  -- what a tap opens: chrisapp://open/morning or /evening
  scheduled_for timestamptz not null,
  -- pending -> sending (claimed by a dispatcher) -> sent | pending (retry) | failed (gave up)
  status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed')),
  attempts integer not null default 0,
  last_error text,
  claimed_at timestamptz,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  -- never the same reminder twice, however often the job runs
  unique (user_id, kind, channel, protocol_day)
);
create index notification_queue_pending_idx on public.notification_queue (scheduled_for)
  where status in ('pending', 'sending');

create table public.last_seen (
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  client_id uuid not null,  -- the device's sync client id
  platform text check (char_length(platform) <= 40),
  app_version text check (char_length(app_version) <= 40),
  seen_at timestamptz not null default now(),  -- server clock, set by trigger
  primary key (user_id, client_id)
);

-- =============================================
-- Triggers
-- =============================================
create or replace function private.last_seen_now()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.seen_at := now();
  return new;
end
$$;
create trigger last_seen_now before insert or update on public.last_seen
  for each row execute function private.last_seen_now();

-- =============================================
-- Grants
-- =============================================
revoke all on public.notification_queue, public.last_seen from public, anon, authenticated;
grant all on public.notification_queue, public.last_seen to service_role;
grant select on public.notification_queue to authenticated;
grant select, insert (user_id, client_id, platform, app_version),
      update (platform, app_version, seen_at) on public.last_seen to authenticated;

-- =============================================
-- Row level security
-- =============================================
alter table public.notification_queue enable row level security;
alter table public.last_seen enable row level security;

create policy "Members can read their own notifications" on public.notification_queue
  for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members can read their own devices" on public.last_seen
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Members can record their own devices" on public.last_seen
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Members can update their own devices" on public.last_seen
  for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- =============================================
-- Functions
-- =============================================
-- Queues the reminders of the 15-minute slot containing p_now, for every member whose local
-- morning or evening time falls in it: one INSERT ... SELECT (no per-member loop, docs/rules.md,
-- plan defect 9). Local slot bounds are computed once per zone, then members are found by index on
-- (timezone, reminder time). Respects the member's settings, the subscription (trial still
-- running, active or past_due) and what they already did that protocol day; the unique key
-- makes a re-run (or an overlapping run) queue nothing twice. Returns the number queued.
create or replace function public.queue_reminders(p_now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  n integer;
begin
  with slot as (
    select pg_catalog.date_bin('15 minutes', p_now, timestamptz '2000-01-01 00:00+00') as start_at
  ), zones as (
    select z.name,
           (s.start_at at time zone z.name)::time as local_from,
           case when (s.start_at at time zone z.name)::time >= time '23:45' then time '24:00'
                else (s.start_at at time zone z.name)::time + interval '15 minutes' end as local_to
      from private.member_timezones() z (name), slot s
  ), due as (
    select p.id, p.timezone, p.day_start, p.subscription_status, p.trial_ends_at,
           'morning_reminder'::text as kind, '/morning'::text as route
      from zones z join public.profiles p
        on p.timezone = z.name and p.morning_protocol_time >= z.local_from and p.morning_protocol_time < z.local_to
    union all
    select p.id, p.timezone, p.day_start, p.subscription_status, p.trial_ends_at, 'evening_reminder', '/evening'
      from zones z join public.profiles p
        on p.timezone = z.name and p.evening_review_time >= z.local_from and p.evening_review_time < z.local_to
  ), eligible as (
    select d.id, d.kind, d.route, public.protocol_day(p_now, d.timezone, d.day_start) as day,
           st.push_notifications, st.email_reminders
      from due d
      join public.user_settings st on st.id = d.id
     where (d.subscription_status in ('active', 'past_due')
            or (d.subscription_status = 'trial' and d.trial_ends_at > p_now))
       and case d.kind when 'morning_reminder' then st.morning_reminder else st.evening_reminder end
  )
  insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
  select e.id, e.kind, c.channel, e.day, 'chrisapp://open' || e.route, p_now
    from eligible e
    cross join lateral (values ('push', e.push_notifications), ('email', e.email_reminders)) c (channel, enabled)
   where c.enabled
     and not exists (
       select 1 from public.daily_sessions s
        where s.user_id = e.id and s.date = e.day
          and case e.kind when 'morning_reminder' then s.morning_completed else s.evening_completed end)
  on conflict (user_id, kind, channel, protocol_day) do nothing;
  get diagnostics n = row_count;
  return n;
end
$$;
-- pg_cron runs it as postgres; nobody calls it through the API
revoke execute on function public.queue_reminders(timestamptz) from public, anon, authenticated, service_role;

-- For the dispatcher (service_role): claims up to p_limit due reminders. SKIP LOCKED lets two
-- dispatchers run at once without sending the same reminder; a claim older than 10 minutes
-- (a crashed dispatcher) can be claimed again.
create or replace function public.claim_notifications(p_limit integer default 100)
returns setof public.notification_queue
language sql
set search_path = ''
as $$
  update public.notification_queue q
     set status = 'sending', claimed_at = now(), attempts = q.attempts + 1
   where q.id in (
     select c.id from public.notification_queue c
      where c.scheduled_for <= now()
        and (c.status = 'pending' or (c.status = 'sending' and c.claimed_at < now() - interval '10 minutes'))
      order by c.scheduled_for
      limit p_limit
      for update skip locked)
  returning q.*
$$;
revoke execute on function public.claim_notifications(integer) from public, anon, authenticated;
grant execute on function public.claim_notifications(integer) to service_role;

-- Records a delivery outcome: sent, or back to pending for a retry, or failed after 5 attempts.
create or replace function public.finish_notification(p_id bigint, p_sent boolean, p_error text default null)
returns void
language sql
set search_path = ''
as $$
  update public.notification_queue q
     set status = case when p_sent then 'sent' when q.attempts >= 5 then 'failed' else 'pending' end,
         sent_at = case when p_sent then now() end,
         last_error = case when p_sent then null else left(p_error, 1000) end
   where q.id = p_id and q.status = 'sending'
$$;
revoke execute on function public.finish_notification(bigint, boolean, text) from public, anon, authenticated;
grant execute on function public.finish_notification(bigint, boolean, text) to service_role;
