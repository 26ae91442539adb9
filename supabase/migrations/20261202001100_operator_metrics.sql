-- Metrics for operators (issue 18, item 2): active members, completion, trial conversion,
-- monthly recurring revenue and churn, read by the service role with one call:
--   select public.operator_metrics();            -- as of today (UTC)
--   select public.operator_metrics('2026-11-30'); -- as of the end of that day
-- The exact definitions are in docs/operators.md ("Metrics"); each is restated at its line below.
--
--   * public.stripe_prices: the Stripe prices members subscribe at (amount, currency, billing
--     interval), written by the Stripe webhook through public.record_stripe_price.
--   * private.subscription_history: every subscription status a member has had and since when,
--     kept by a trigger on profiles (sign-up: 'trial'; each change of subscription_status). The
--     profile holds only the current status; conversion and churn need the past ones.

-- =============================================
-- Tables
-- =============================================
create table public.stripe_prices (
  price_id text primary key check (char_length(price_id) between 1 and 255),
  unit_amount bigint not null check (unit_amount >= 0),  -- in the currency's smallest unit (cents)
  currency text not null check (currency ~ '^[a-z]{3}$'),  -- ISO 4217, lower case as Stripe sends it
  recurring_interval text check (recurring_interval in ('day', 'week', 'month', 'year')),  -- null: one-off
  interval_count integer not null default 1 check (interval_count between 1 and 1000),
  updated_at timestamptz not null default now()
);

create table private.subscription_history (
  id bigint generated always as identity primary key,  -- orders two changes at the same instant
  user_id uuid not null references public.profiles (id) on delete cascade,
  status text not null check (status in ('trial', 'active', 'past_due', 'cancelled')),
  at timestamptz not null  -- since when the member had this status
);
create index subscription_history_user_at_idx on private.subscription_history (user_id, at, id);

-- =============================================
-- Grants
-- =============================================
revoke all on public.stripe_prices from public, anon, authenticated;
grant all on public.stripe_prices to service_role;

revoke all on private.subscription_history from public, anon, authenticated, service_role;
grant select on private.subscription_history to service_role;  -- operator_metrics runs as the service role

-- =============================================
-- Row level security
-- =============================================
-- No policy: members see no price rows (the paywall shows prices from the app's configuration).
alter table public.stripe_prices enable row level security;

-- =============================================
-- Subscription history
-- =============================================
-- A member's first status at sign-up (the profile's creation time), then each change, dated by
-- the Stripe event that made it (subscription_event_at, set by apply_stripe_subscription in the
-- same update), or now() for a change without one.
-- SECURITY DEFINER: profiles are written by the sign-up trigger and the webhook (service_role),
-- neither of which may write the private schema.
create or replace function private.profiles_subscription_history()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into private.subscription_history (user_id, status, at)
    values (new.id, new.subscription_status, new.created_at);
  elsif new.subscription_status is distinct from old.subscription_status then
    insert into private.subscription_history (user_id, status, at)
    values (new.id, new.subscription_status, coalesce(new.subscription_event_at, now()));
  end if;
  return null;
end
$$;
revoke execute on function private.profiles_subscription_history() from public, anon, authenticated, service_role;

create trigger profiles_subscription_history after insert or update of subscription_status on public.profiles
  for each row execute function private.profiles_subscription_history();

-- The members there already: their sign-up, then their current status if it is not the first.
insert into private.subscription_history (user_id, status, at)
select p.id, 'trial', p.created_at from public.profiles p;
insert into private.subscription_history (user_id, status, at)
select p.id, p.subscription_status, coalesce(p.subscription_event_at, p.updated_at)
  from public.profiles p where p.subscription_status <> 'trial';

-- A member's status at instant p_at (the last one that began before it); null before sign-up.
create or replace function private.subscription_status_at(p_user uuid, p_at timestamptz)
returns text
language sql
stable
set search_path = ''
as $$
  select h.status from private.subscription_history h
   where h.user_id = p_user and h.at < p_at
   order by h.at desc, h.id desc
   limit 1
$$;
revoke execute on function private.subscription_status_at(uuid, timestamptz) from public, anon, authenticated, service_role;
grant execute on function private.subscription_status_at(uuid, timestamptz) to service_role;

-- =============================================
-- Prices
-- =============================================
-- The Stripe webhook (service_role), with the price of a subscription's item: remembers it (or
-- its new amount). p_interval null: a one-off price, which adds nothing to MRR. 22023 when a
-- value is out of range.
create or replace function public.record_stripe_price(p_price_id text, p_unit_amount bigint, p_currency text,
                                                      p_interval text, p_interval_count integer)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_price_id is null or pg_catalog.char_length(p_price_id) not between 1 and 255
     or p_unit_amount is null or p_unit_amount < 0
     or p_currency is null or pg_catalog.lower(p_currency) !~ '^[a-z]{3}$'
     or (p_interval is not null and p_interval not in ('day', 'week', 'month', 'year'))
     or coalesce(p_interval_count, 1) not between 1 and 1000 then
    raise exception 'a Stripe price needs an id, an amount of 0 or more, a 3-letter currency and an interval of day, week, month or year (or none)'
      using errcode = '22023';
  end if;
  insert into public.stripe_prices as sp (price_id, unit_amount, currency, recurring_interval, interval_count, updated_at)
  values (p_price_id, p_unit_amount, pg_catalog.lower(p_currency), p_interval, coalesce(p_interval_count, 1), now())
  on conflict (price_id) do update
     set unit_amount = excluded.unit_amount, currency = excluded.currency,
         recurring_interval = excluded.recurring_interval, interval_count = excluded.interval_count,
         updated_at = excluded.updated_at;
end
$$;
revoke execute on function public.record_stripe_price(text, bigint, text, text, integer) from public, anon, authenticated;
grant execute on function public.record_stripe_price(text, bigint, text, text, integer) to service_role;

-- =============================================
-- The metrics
-- =============================================
-- As of the end of day p_as_of (UTC). Days are protocol days (daily_sessions.date); instants
-- are compared with the UTC bounds of the window. Ratios are 0..1 rounded to 4 decimals, null
-- when there is nothing to divide by. docs/operators.md has each definition in full:
--   dau / wau / mau: members with a completed day (morning_completed: the morning's reading
--     saved) on p_as_of / in the 7 days / in the 30 days ending with it;
--   morning_completion_30d, evening_completion_30d: over the member-days of the mau members
--     (each of the 30 days from the member's first_day on), the share with the morning
--     completed / the evening completed;
--   trial_to_paid_30d: of the members whose trial ended in the 30 days, the share who had
--     become 'active' by the end of p_as_of;
--   mrr_cents: per currency, the monthly amount of the prices of the members 'active' at the end
--     of p_as_of (profiles.stripe_price_id in stripe_prices; a year / 12, a week * 52 / 12, a
--     day * 365 / 12, divided by interval_count), rounded to whole cents; paying and
--     paying_without_price count those members and the ones whose price is unknown or one-off;
--   churn_30d: of the members 'active' at the start of the 30 days, the share 'cancelled' at
--     the end.
create or replace function public.operator_metrics(p_as_of date default (now() at time zone 'utc')::date)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with bounds as (
    select p_as_of - 29 as first_day,
           ((p_as_of - 29)::timestamp at time zone 'UTC') as start_at,
           ((p_as_of + 1)::timestamp at time zone 'UTC') as end_at
  ), done as (  -- completed days in the 30-day window
    select s.user_id, s.date
      from public.daily_sessions s, bounds b
     where s.morning_completed and s.date between b.first_day and p_as_of
  ), active_members as (
    select distinct d.user_id from done d
  ), member_days as (  -- each active member's days in the window, from their first day on
    select a.user_id, g.day::date as day
      from active_members a
      join public.profiles p on p.id = a.user_id
     cross join bounds b
     cross join lateral pg_catalog.generate_series(greatest(b.first_day, p.first_day)::timestamp,
                                                   p_as_of::timestamp, interval '1 day') g (day)
  ), completion as (
    select count(*) as days,
           count(*) filter (where s.morning_completed) as mornings,
           count(*) filter (where s.evening_completed) as evenings
      from member_days m
      left join public.daily_sessions s on s.user_id = m.user_id and s.date = m.day
  ), trials as (
    select p.id,
           exists (select 1 from private.subscription_history h
                    where h.user_id = p.id and h.status = 'active' and h.at < b.end_at) as paid
      from public.profiles p, bounds b
     where p.trial_ends_at >= b.start_at and p.trial_ends_at < b.end_at
  ), paying as (
    select p.id, sp.currency,
           -- the amount a year over 12, in one division (a factor such as 1/12.0 would be
           -- rounded first: 9999 * 0.0833... is 833.2499..., not 833.25)
           sp.unit_amount::numeric
             * case sp.recurring_interval when 'month' then 12 when 'year' then 1
                                          when 'week' then 52 when 'day' then 365 end
             / (12 * sp.interval_count) as monthly
      from public.profiles p
     cross join bounds b
      left join public.stripe_prices sp on sp.price_id = p.stripe_price_id
     where private.subscription_status_at(p.id, b.end_at) = 'active'
  ), paying_at_start as (
    select p.id, private.subscription_status_at(p.id, b.end_at) as status_at_end
      from public.profiles p, bounds b
     where private.subscription_status_at(p.id, b.start_at) = 'active'
  )
  select pg_catalog.jsonb_build_object(
    'as_of', p_as_of,
    'dau', (select count(distinct d.user_id) from done d where d.date = p_as_of),
    'wau', (select count(distinct d.user_id) from done d where d.date > p_as_of - 7),
    'mau', (select count(*) from active_members),
    'morning_completion_30d', (select round(c.mornings::numeric / nullif(c.days, 0), 4) from completion c),
    'evening_completion_30d', (select round(c.evenings::numeric / nullif(c.days, 0), 4) from completion c),
    'trial_to_paid_30d', (select round((count(*) filter (where t.paid))::numeric / nullif(count(*), 0), 4)
                            from trials t),
    'mrr_cents', coalesce((select pg_catalog.jsonb_object_agg(x.currency, x.cents)
                             from (select y.currency, round(sum(y.monthly))::bigint as cents
                                     from paying y
                                    where y.monthly is not null
                                    group by y.currency) x), '{}'::jsonb),
    'paying', (select count(*) from paying),
    'paying_without_price', (select count(*) from paying y where y.monthly is null),
    'churn_30d', (select round((count(*) filter (where s.status_at_end = 'cancelled'))::numeric
                               / nullif(count(*), 0), 4)
                    from paying_at_start s))
$$;
revoke execute on function public.operator_metrics(date) from public, anon, authenticated;
grant execute on function public.operator_metrics(date) to service_role;
