-- Billing (Stripe webhook) and the AI usage quota. Both are written by edge functions holding
-- the service role key; members can read their own quota usage, nothing else here.

-- =============================================
-- Tables
-- =============================================
-- Every Stripe event id handled once: a redelivered event has no second effect.
create table public.stripe_events_processed (
  event_id text primary key,
  event_type text not null,
  event_created timestamptz not null,
  outcome text not null,
  processed_at timestamptz not null default now()
);

create table public.ai_usage (
  user_id uuid not null references public.profiles (id) on delete cascade,
  day date not null,  -- the member's protocol day
  feature text not null check (feature in ('generate_affirmations', 'suggest_actions', 'analyze_progress')),
  count integer not null default 0 check (count >= 0),
  primary key (user_id, day, feature)
);

-- =============================================
-- Grants
-- =============================================
revoke all on public.stripe_events_processed, public.ai_usage from public, anon, authenticated;
grant all on public.stripe_events_processed, public.ai_usage to service_role;
grant select on public.ai_usage to authenticated;

-- =============================================
-- Row level security
-- =============================================
alter table public.stripe_events_processed enable row level security;
alter table public.ai_usage enable row level security;

create policy "Members can read their own AI usage" on public.ai_usage
  for select to authenticated using ((select auth.uid()) = user_id);

-- =============================================
-- Functions (service_role only; SECURITY INVOKER: service_role already has the rights)
-- =============================================
-- The only writer of subscription fields. p_user_id links a Stripe customer to a member (from
-- checkout.session.completed's client_reference_id); later events find the member by customer.
-- p_status is the member-facing state (null: leave as is). Events older than the last applied
-- one are recorded but do not change the state, so out-of-order delivery ends right.
-- Returns 'applied', 'duplicate', 'stale' or 'unknown_member'.
create or replace function public.apply_stripe_subscription(
  p_event_id text, p_event_type text, p_event_created timestamptz,
  p_user_id uuid default null, p_customer_id text default null, p_subscription_id text default null,
  p_status text default null, p_price_id text default null, p_current_period_end timestamptz default null)
returns text
language plpgsql
set search_path = ''
as $$
declare
  member uuid;
  last_event timestamptz;
  result text;
begin
  insert into public.stripe_events_processed (event_id, event_type, event_created, outcome)
  values (p_event_id, p_event_type, p_event_created, 'pending')
  on conflict (event_id) do nothing;
  if not found then
    return 'duplicate';
  end if;

  select p.id, p.subscription_event_at into member, last_event from public.profiles p
   where p.id = p_user_id or (p_user_id is null and p.stripe_customer_id = p_customer_id)
   for update;
  if member is null then
    result := 'unknown_member';
  elsif last_event is not null and p_event_created < last_event then
    -- still link the customer if this is the event that carries the link
    update public.profiles p set stripe_customer_id = coalesce(p.stripe_customer_id, p_customer_id)
     where p.id = member;
    result := 'stale';
  else
    update public.profiles p set
      stripe_customer_id = coalesce(p_customer_id, p.stripe_customer_id),
      stripe_subscription_id = coalesce(p_subscription_id, p.stripe_subscription_id),
      stripe_price_id = coalesce(p_price_id, p.stripe_price_id),
      subscription_current_period_end = coalesce(p_current_period_end, p.subscription_current_period_end),
      subscription_status = coalesce(p_status, p.subscription_status),
      subscription_started_at = case when p_status = 'active' and p.subscription_started_at is null
                                     then p_event_created else p.subscription_started_at end,
      subscription_ends_at = case when p_status = 'cancelled' then p_event_created
                                  when p_status = 'active' then null else p.subscription_ends_at end,
      subscription_event_at = p_event_created
     where p.id = member;
    result := 'applied';
  end if;
  update public.stripe_events_processed e set outcome = result
   where e.event_id = p_event_id;
  return result;
end
$$;
revoke execute on function public.apply_stripe_subscription(text, text, timestamptz, uuid, text, text, text, text, timestamptz)
  from public, anon, authenticated;
grant execute on function public.apply_stripe_subscription(text, text, timestamptz, uuid, text, text, text, text, timestamptz)
  to service_role;

-- Takes one unit of a member's daily AI quota for a feature; false when the quota is used up
-- (nothing is taken then). Atomic: concurrent calls never exceed the limit.
create or replace function public.consume_ai_quota(p_user_id uuid, p_feature text, p_daily_limit integer)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  today date;
begin
  if p_daily_limit <= 0 then
    return false;
  end if;
  select public.protocol_day(now(), p.timezone, p.day_start) into today from public.profiles p where p.id = p_user_id;
  if today is null then
    return false;
  end if;
  insert into public.ai_usage as u (user_id, day, feature, count)
  values (p_user_id, today, p_feature, 1)
  on conflict (user_id, day, feature) do update set count = u.count + 1
   where u.count < p_daily_limit;
  return found;
end
$$;
revoke execute on function public.consume_ai_quota(uuid, text, integer) from public, anon, authenticated;
grant execute on function public.consume_ai_quota(uuid, text, integer) to service_role;
