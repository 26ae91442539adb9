-- One queue mechanism and one quota file (issue #17, item 5).
--
-- notification_queue (reminders) and kit_sync_queue (Kit updates) used to carry two copies of
-- the same claim/finish SQL, each with its own hard-coded "5 attempts" and "10 minutes". Both
-- now go through the two private helpers below, and the two numbers live in one place:
-- private.queue_max_attempts() and private.queue_reclaim_after(). The public functions keep
-- their signatures, grants and behaviour; public.fail_notification is new (a reminder that can
-- never be sent is failed at once, without the retries).
--
-- The AI quota (consume_ai_quota, refund_ai_quota and the quota day) is defined here, together,
-- as in 20261202000500_hardening.sql; this is now the one place to read and change it.

-- =============================================
-- 1. The queue rules: one place
-- =============================================
-- How many times a row is tried before it is 'failed'.
create or replace function private.queue_max_attempts()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 5
$$;

-- How long a claim ('sending') is held before another dispatcher may claim the row again: the
-- dispatcher that claimed it is taken to have crashed.
create or replace function private.queue_reclaim_after()
returns interval
language sql
immutable
set search_path = ''
as $$
  select interval '10 minutes'
$$;

-- =============================================
-- 2. The shared claim and finish
-- =============================================
-- Claims up to p_limit rows of one queue (notification_queue or kit_sync_queue; both have
-- id, status, attempts, claimed_at, sent_at, last_error): rows that are 'pending', or 'sending'
-- with a claim older than queue_reclaim_after(), taken in p_order_by order with FOR UPDATE SKIP
-- LOCKED, so two dispatchers never claim the same row. Each claimed row becomes 'sending',
-- claimed now, one attempt more. p_final, when given, is judged per row first: a non-null
-- value is a final status the row gets instead (no claim, no attempt counted).
-- p_where, p_order_by and p_final are SQL over the candidate row `c`, written by the public
-- functions below (constants, never data): only the owner and service_role can run this.
-- Returns every row it looked at with its new status ('sending' for the claimed ones).
create or replace function private.queue_claim(p_queue regclass, p_limit integer, p_where text,
                                               p_order_by text, p_final text default null)
returns table (id bigint, status text)
language plpgsql
set search_path = ''
as $$
begin
  if p_queue is distinct from 'public.notification_queue'::regclass
     and p_queue is distinct from 'public.kit_sync_queue'::regclass then
    raise exception 'not a queue: %', p_queue using errcode = '22023';
  end if;
  return query execute pg_catalog.format($q$
    with candidates as (
      select c.* from %1$s c
       where (%2$s)
         and (c.status = 'pending'
              or (c.status = 'sending' and c.claimed_at < now() - private.queue_reclaim_after()))
       order by %3$s
       limit $1
       for update skip locked
    ), judged as (
      select c.id, coalesce(%4$s, 'sending') as next_status from candidates c
    )
    update %1$s q
       set status = j.next_status,
           claimed_at = case when j.next_status = 'sending' then now() else q.claimed_at end,
           attempts = q.attempts + case when j.next_status = 'sending' then 1 else 0 end
      from judged j
     where q.id = j.id
    returning q.id, q.status$q$,
    p_queue, coalesce(p_where, 'true'), p_order_by, coalesce(p_final, 'null::text'))
    using p_limit;
end
$$;

-- Records the outcome of a claimed row (only a row still 'sending'): sent; or, when not sent,
-- back to 'pending' for a retry, or 'failed' once it has had queue_max_attempts() attempts or
-- when p_final says it can never be sent. The error is kept (first 1000 characters).
create or replace function private.queue_finish(p_queue regclass, p_id bigint, p_ok boolean,
                                                p_error text, p_final boolean default false)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_queue is distinct from 'public.notification_queue'::regclass
     and p_queue is distinct from 'public.kit_sync_queue'::regclass then
    raise exception 'not a queue: %', p_queue using errcode = '22023';
  end if;
  execute pg_catalog.format($q$
    update %s q
       set status = case when $2 then 'sent'
                         when $4 or q.attempts >= private.queue_max_attempts() then 'failed'
                         else 'pending' end,
           sent_at = case when $2 then now() end,
           last_error = case when $2 then null else pg_catalog.left($3, 1000) end
     where q.id = $1 and q.status = 'sending'$q$, p_queue)
    using p_id, p_ok, p_error, coalesce(p_final, false);
end
$$;

revoke execute on function
  private.queue_max_attempts(),
  private.queue_reclaim_after(),
  private.queue_claim(regclass, integer, text, text, text),
  private.queue_finish(regclass, bigint, boolean, text, boolean)
  from public, anon, authenticated;
-- The public queue functions are SECURITY INVOKER and run as the service role (the dispatchers).
grant execute on function
  private.queue_max_attempts(),
  private.queue_reclaim_after(),
  private.queue_claim(regclass, integer, text, text, text),
  private.queue_finish(regclass, bigint, boolean, text, boolean)
  to service_role;

-- =============================================
-- 3. Reminders (notification_queue)
-- =============================================
-- As in 20261202000100_push_reminders.sql, the claim through private.queue_claim: up to
-- p_limit reminders of one channel to send now, oldest due first, with what sending needs (the
-- member's email, name and code; for push, the member's registered subscription ids) and the
-- row's idempotency key. Each row it looks at and must not send is finalised instead, and
-- counts for nothing: 'skipped' when that part of the day has been done since it was queued,
-- 'expired' when it is more than 2 hours past its time. It looks further (in batches) until
-- p_limit rows are claimed or none is left.
create or replace function public.claim_notifications_for(p_channel text, p_limit integer default 100)
returns table (id bigint, user_id uuid, kind text, channel text, protocol_day date, deep_link text,
               attempts integer, email text, full_name text, member_code text, push_ids text[],
               idempotency_key uuid)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  wanted integer := greatest(coalesce(p_limit, 100), 0);
  looked integer;
  got bigint[];
  taken bigint[] := '{}';
begin
  if p_channel is null or p_channel not in ('push', 'email') then
    raise exception 'a reminder channel is ''push'' or ''email'', not %',
      coalesce(pg_catalog.quote_literal(pg_catalog.left(p_channel, 40)), 'null') using errcode = '22023';
  end if;
  while wanted > 0 loop
    select count(*)::integer, coalesce(array_agg(m.id) filter (where m.status = 'sending'), '{}')
      into looked, got
      from private.queue_claim(
             'public.notification_queue', wanted,
             pg_catalog.format('c.channel = %L and c.scheduled_for <= now()', p_channel),
             'c.scheduled_for',
             $f$case when coalesce((select case when c.kind = 'morning_reminder' then s.morning_completed
                                                 else s.evening_completed end
                                      from public.daily_sessions s
                                     where s.user_id = c.user_id and s.date = c.protocol_day), false)
                     then 'skipped'
                     when c.scheduled_for < now() - interval '2 hours' then 'expired' end$f$) m;
    taken := taken || got;
    exit when looked < wanted;  -- nothing more to look at (or all of it locked by others)
    wanted := wanted - pg_catalog.cardinality(got);
  end loop;
  return query
    select q.id, q.user_id, q.kind, q.channel, q.protocol_day, q.deep_link, q.attempts,
           p.email, p.full_name, p.member_code,
           case when q.channel = 'push'
                then coalesce((select pg_catalog.array_agg(d.subscription_id order by d.subscription_id)
                                 from public.push_devices d where d.user_id = q.user_id), '{}')
                else '{}'::text[] end,
           q.idempotency_key
      from public.notification_queue q
      join public.profiles p on p.id = q.user_id
     where q.id = any (taken)
     order by q.id;
end
$$;
revoke execute on function public.claim_notifications_for(text, integer) from public, anon, authenticated;
grant execute on function public.claim_notifications_for(text, integer) to service_role;

-- A delivery outcome: sent, or back to pending for a retry, or failed after
-- private.queue_max_attempts() attempts.
create or replace function public.finish_notification(p_id bigint, p_sent boolean, p_error text default null)
returns void
language sql
set search_path = ''
as $$
  select private.queue_finish('public.notification_queue', p_id, p_sent, p_error)
$$;
revoke execute on function public.finish_notification(bigint, boolean, text) from public, anon, authenticated;
grant execute on function public.finish_notification(bigint, boolean, text) to service_role;

-- A claimed reminder that can never be sent (no valid address): 'failed' now, without the
-- retries. Like finish_notification, only a row still 'sending'.
create or replace function public.fail_notification(p_id bigint, p_error text)
returns void
language sql
set search_path = ''
as $$
  select private.queue_finish('public.notification_queue', p_id, false, p_error, true)
$$;
revoke execute on function public.fail_notification(bigint, text) from public, anon, authenticated;
grant execute on function public.fail_notification(bigint, text) to service_role;

-- As in 20261202000100_push_reminders.sql, with the reclaim delay from its one place: rows more
-- than 2 hours past their time that nobody sent become 'expired'; a row in a dispatcher's
-- hands (claimed less than queue_reclaim_after() ago) is left to it. Returns how many.
create or replace function public.expire_notifications(p_now timestamptz default now())
returns integer
language sql
set search_path = ''
as $$
  with gone as (
    update public.notification_queue q set status = 'expired'
     where q.id in (
       select c.id from public.notification_queue c
        where c.scheduled_for < p_now - interval '2 hours'
          and (c.status = 'pending'
               or (c.status = 'sending' and c.claimed_at < p_now - private.queue_reclaim_after()))
        for update skip locked)
    returning 1
  )
  select count(*)::integer from gone
$$;
revoke execute on function public.expire_notifications(timestamptz) from public, anon, authenticated, service_role;

-- =============================================
-- 4. Kit updates (kit_sync_queue)
-- =============================================
-- As in 20261126001400_edge_functions.sql, the claim through private.queue_claim: up to
-- p_limit rows, oldest first, with what Kit needs, computed now: week number (1 = the member's
-- first week), statistics, and whether they still want the weekly email (a member who opted
-- out after the row was queued is skipped by the function).
create or replace function public.claim_kit_sync(p_limit integer default 100)
returns table (id bigint, user_id uuid, kind text, attempts integer, email text, full_name text,
               member_number bigint, member_code text, subscription_status text, weekly_email boolean,
               week_number integer, current_streak integer, longest_streak integer,
               completion_rate numeric, average_discipline_rating numeric, discipline_score numeric)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  taken bigint[];
begin
  select coalesce(pg_catalog.array_agg(m.id), '{}') into taken
    from private.queue_claim('public.kit_sync_queue', p_limit, 'true', 'c.created_at') m;
  return query
    select c.id, c.user_id, c.kind, c.attempts, p.email, p.full_name, p.member_number, p.member_code,
           p.subscription_status, s.weekly_email,
           ((public.protocol_day(now(), p.timezone, p.day_start) - p.first_day) / 7 + 1)::integer,
           p.current_streak, p.longest_streak, p.completion_rate, p.average_discipline_rating,
           p.discipline_score
      from public.kit_sync_queue c
      join public.profiles p on p.id = c.user_id
      join public.user_settings s on s.id = c.user_id
     where c.id = any (taken)
     order by c.id;
end
$$;
revoke execute on function public.claim_kit_sync(integer) from public, anon, authenticated;
grant execute on function public.claim_kit_sync(integer) to service_role;

-- A Kit outcome: sent, or back to pending for a retry, or failed after
-- private.queue_max_attempts() attempts.
create or replace function public.finish_kit_sync(p_id bigint, p_ok boolean, p_error text default null)
returns void
language sql
set search_path = ''
as $$
  select private.queue_finish('public.kit_sync_queue', p_id, p_ok, p_error)
$$;
revoke execute on function public.finish_kit_sync(bigint, boolean, text) from public, anon, authenticated;
grant execute on function public.finish_kit_sync(bigint, boolean, text) to service_role;

-- =============================================
-- 5. The AI daily quota: the one place
-- =============================================
-- consume_ai_quota and refund_ai_quota, and the quota day both read, are defined here together
-- (exactly as in 20261202000500_hardening.sql, which superseded 20261126001000_billing_and_quota.sql
-- and 20261126001400_edge_functions.sql); the older definitions are superseded.

-- The quota day is the UTC date of now(): a clock the member cannot move (their time zone and
-- day start are theirs to change, and moving them would open "tomorrow's" quota today).
create or replace function private.ai_quota_day()
returns date
language sql
stable
as $$
  select (now() at time zone 'UTC')::date
$$;
revoke execute on function private.ai_quota_day() from public, anon, authenticated;
grant execute on function private.ai_quota_day() to service_role;

-- Takes one unit of the member's daily quota for p_feature; false (nothing taken) when the day's
-- p_daily_limit is used up, the limit is not positive or the member does not exist.
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

-- Gives back the unit consume_ai_quota took when the AI provider failed or timed out, so a
-- failed request costs the member nothing; never below zero. A call that began just before UTC
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
