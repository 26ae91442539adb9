-- What the edge functions (supabase/functions/) need beyond the billing, quota and reminder
-- objects of earlier migrations: a per-channel reminder claim (email is sent now, push waits for
-- its sender), the Kit sync queue (welcome on sign-up, weekly progress fields), and the quota
-- refund the AI functions use when the provider fails. Everything here is for service_role or
-- pg_cron only; members can read their own Kit sync rows, nothing else.

-- =============================================
-- Tables
-- =============================================
-- One row per Kit update to make: 'welcome' when a member signs up (subscriber upsert with tags
-- and member number), 'weekly' once per week for members who want the weekly email (custom
-- fields that a Kit automation mails). The kit-sync function drains it like notification_queue.
create table public.kit_sync_queue (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  kind text not null check (kind in ('welcome', 'weekly')),
  week_start date,  -- weekly: the Monday (UTC) of the week the job ran; welcome: null
  -- pending -> sending (claimed) -> sent | pending (retry) | failed (gave up after 5 attempts)
  status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed')),
  attempts integer not null default 0,
  last_error text,
  claimed_at timestamptz,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  check ((kind = 'welcome') = (week_start is null)),
  -- one welcome per member, one weekly update per member and week, however often the job runs
  unique nulls not distinct (user_id, kind, week_start)
);
create index kit_sync_queue_pending_idx on public.kit_sync_queue (created_at)
  where status in ('pending', 'sending');

-- =============================================
-- Grants
-- =============================================
revoke all on public.kit_sync_queue from public, anon, authenticated;
grant all on public.kit_sync_queue to service_role;
grant select on public.kit_sync_queue to authenticated;

-- =============================================
-- Row level security
-- =============================================
alter table public.kit_sync_queue enable row level security;

create policy "Members can read their own Kit sync rows" on public.kit_sync_queue
  for select to authenticated using ((select auth.uid()) = user_id);

-- =============================================
-- Triggers
-- =============================================
-- Sign-up (handle_new_user inserts the settings row): queue the Kit welcome upsert when the
-- member has an email and wants the weekly email (the default).
create or replace function private.queue_kit_welcome()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into public.kit_sync_queue (user_id, kind)
  select p.id, 'welcome' from public.profiles p
   where p.id = new.id and p.email is not null and new.weekly_email
  on conflict do nothing;
  return null;
end
$$;
revoke execute on function private.queue_kit_welcome() from public, anon, authenticated;

create trigger user_settings_queue_kit_welcome after insert on public.user_settings
  for each row execute function private.queue_kit_welcome();

-- =============================================
-- Functions
-- =============================================
-- Reminders of one channel only, for the dispatcher of that channel (reminder-dispatch sends
-- 'email'; 'push' rows stay pending for a push sender). Same locking as claim_notifications:
-- SKIP LOCKED, so two dispatchers never claim the same reminder; a claim older than 10 minutes
-- is reclaimable. Returns the member's email and member code with each row.
create or replace function public.claim_notifications_for(p_channel text, p_limit integer default 100)
returns table (id bigint, user_id uuid, kind text, channel text, protocol_day date, deep_link text,
               attempts integer, email text, full_name text, member_code text)
language sql
set search_path = ''
as $$
  with claimed as (
    update public.notification_queue q
       set status = 'sending', claimed_at = now(), attempts = q.attempts + 1
     where q.id in (
       select c.id from public.notification_queue c
        where c.channel = p_channel and c.scheduled_for <= now()
          and (c.status = 'pending' or (c.status = 'sending' and c.claimed_at < now() - interval '10 minutes'))
        order by c.scheduled_for
        limit p_limit
        for update skip locked)
    returning q.*
  )
  select c.id, c.user_id, c.kind, c.channel, c.protocol_day, c.deep_link, c.attempts,
         p.email, p.full_name, p.member_code
    from claimed c join public.profiles p on p.id = c.user_id
   order by c.id
$$;
revoke execute on function public.claim_notifications_for(text, integer) from public, anon, authenticated;
grant execute on function public.claim_notifications_for(text, integer) to service_role;

-- Weekly (pg_cron): one 'weekly' row per member who wants the weekly email, for the week of
-- p_now. One INSERT ... SELECT; the unique key makes a re-run queue nothing twice.
create or replace function public.queue_kit_weekly(p_now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  n integer;
begin
  insert into public.kit_sync_queue (user_id, kind, week_start)
  select p.id, 'weekly', pg_catalog.date_trunc('week', p_now at time zone 'UTC')::date
    from public.profiles p join public.user_settings s on s.id = p.id
   where s.weekly_email and p.email is not null
  on conflict do nothing;
  get diagnostics n = row_count;
  return n;
end
$$;
-- pg_cron runs it as postgres; nobody calls it through the API
revoke execute on function public.queue_kit_weekly(timestamptz) from public, anon, authenticated, service_role;

-- For kit-sync (service_role): claims up to p_limit rows with what Kit needs, computed now:
-- week number (1 = the member's first week), statistics, and whether they still want the
-- weekly email (a member who opted out after the row was queued is skipped by the function).
create or replace function public.claim_kit_sync(p_limit integer default 100)
returns table (id bigint, user_id uuid, kind text, attempts integer, email text, full_name text,
               member_number bigint, member_code text, subscription_status text, weekly_email boolean,
               week_number integer, current_streak integer, longest_streak integer,
               completion_rate numeric, average_discipline_rating numeric, discipline_score numeric)
language sql
set search_path = ''
as $$
  with claimed as (
    update public.kit_sync_queue q
       set status = 'sending', claimed_at = now(), attempts = q.attempts + 1
     where q.id in (
       select c.id from public.kit_sync_queue c
        where c.status = 'pending' or (c.status = 'sending' and c.claimed_at < now() - interval '10 minutes')
        order by c.created_at
        limit p_limit
        for update skip locked)
    returning q.*
  )
  select c.id, c.user_id, c.kind, c.attempts, p.email, p.full_name, p.member_number, p.member_code,
         p.subscription_status, s.weekly_email,
         ((public.protocol_day(now(), p.timezone, p.day_start) - p.first_day) / 7 + 1)::integer,
         p.current_streak, p.longest_streak, p.completion_rate, p.average_discipline_rating,
         p.discipline_score
    from claimed c
    join public.profiles p on p.id = c.user_id
    join public.user_settings s on s.id = c.user_id
   order by c.id
$$;
revoke execute on function public.claim_kit_sync(integer) from public, anon, authenticated;
grant execute on function public.claim_kit_sync(integer) to service_role;

-- Records a Kit outcome: sent, or back to pending for a retry, or failed after 5 attempts.
create or replace function public.finish_kit_sync(p_id bigint, p_ok boolean, p_error text default null)
returns void
language sql
set search_path = ''
as $$
  update public.kit_sync_queue q
     set status = case when p_ok then 'sent' when q.attempts >= 5 then 'failed' else 'pending' end,
         sent_at = case when p_ok then now() end,
         last_error = case when p_ok then null else left(p_error, 1000) end
   where q.id = p_id and q.status = 'sending'
$$;
revoke execute on function public.finish_kit_sync(bigint, boolean, text) from public, anon, authenticated;
grant execute on function public.finish_kit_sync(bigint, boolean, text) to service_role;

-- Gives back the unit consume_ai_quota took when the AI provider failed or timed out, so a
-- failed request costs the member nothing. Never below zero.
create or replace function public.refund_ai_quota(p_user_id uuid, p_feature text)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  today date;
begin
  select public.protocol_day(now(), p.timezone, p.day_start) into today from public.profiles p where p.id = p_user_id;
  update public.ai_usage u set count = u.count - 1
   where u.user_id = p_user_id and u.day = today and u.feature = p_feature and u.count > 0;
  return found;
end
$$;
revoke execute on function public.refund_ai_quota(uuid, text) from public, anon, authenticated;
grant execute on function public.refund_ai_quota(uuid, text) to service_role;

-- =============================================
-- Jobs
-- =============================================
-- Weekly progress fields for Kit: queued Sunday 18:00 UTC, drained by the kit-sync function.
select cron.schedule('queue-kit-weekly', '0 18 * * 0', $$select public.queue_kit_weekly()$$);
-- Old Kit rows, like old reminders, are kept a month for support.
select cron.schedule('purge-kit-sync', '37 3 * * *',
  $$delete from public.kit_sync_queue where status in ('sent', 'failed') and created_at < now() - interval '30 days'$$);
