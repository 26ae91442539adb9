-- Profiles, settings and the opt-in leaderboard.
-- A profile and its settings are created by the sign-up trigger on auth.users; members read and
-- edit only their own, and only their preferences: subscription, Stripe and statistics columns
-- are written by service_role (webhooks) and by triggers, never by members (docs/rules.md, plan defect 2).

-- =============================================
-- Sequences
-- =============================================
-- Member numbers come from a sequence: assigned once, never reused (a sequence never hands a
-- value out twice, even when the transaction that took it rolls back).
create sequence public.member_number_seq as bigint start 1 no cycle;
revoke all on sequence public.member_number_seq from public, anon, authenticated;

-- =============================================
-- Tables
-- =============================================
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text check (char_length(email) <= 320),
  full_name text check (char_length(full_name) <= 100),
  -- shown on the leaderboard instead of the real name; members choose it
  display_name text check (char_length(btrim(display_name)) between 1 and 40),
  -- members must not be able to update these two
  member_number bigint not null unique default nextval('public.member_number_seq'),
  -- "047": zero-padded to at least 3 digits (lpad alone would truncate 1234 to "123")
  member_code text generated always as (
    case when member_number < 1000 then lpad(member_number::text, 3, '0') else member_number::text end
  ) stored,

  -- preferences (member-writable)
  timezone text not null default 'UTC',  -- IANA name, validated by trigger (a CHECK cannot query)
  day_start smallint not null default 3 check (day_start between 0 and 23),  -- hour the protocol day starts
  morning_protocol_time time not null default '05:30',
  evening_review_time time not null default '20:00',
  leaderboard_opt_in boolean not null default false,
  -- client clock of the last synced edit of the preferences, for last-writer-wins in sync_push
  prefs_updated_at timestamptz,

  -- the protocol day of sign-up; statistics windows never start before it.
  -- members must not be able to update this
  first_day date not null,

  -- subscription: written only by the Stripe webhook through public.apply_stripe_subscription
  subscription_status text not null default 'trial'
    check (subscription_status in ('trial', 'active', 'past_due', 'cancelled')),
  trial_ends_at timestamptz not null default (now() + interval '14 days'),
  stripe_customer_id text unique,
  stripe_subscription_id text,
  stripe_price_id text,  -- the price is whatever this Stripe price says (docs/rules.md, plan defect 10)
  subscription_current_period_end timestamptz,
  subscription_started_at timestamptz,
  subscription_ends_at timestamptz,
  -- created time of the Stripe event that last set the fields above: older events are ignored
  subscription_event_at timestamptz,
  is_founding_member boolean not null default false,

  -- statistics (docs/rules.md), kept current by triggers and the day-boundary job
  current_streak integer not null default 0,
  longest_streak integer not null default 0,
  total_days_completed integer not null default 0,
  completion_rate numeric(5, 2) not null default 0,
  average_discipline_rating numeric(3, 1) not null default 0,
  discipline_score numeric(4, 1) not null default 0,
  stats_day date,  -- the member's "today" the statistics above were computed for

  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  change_xid xid8 not null default pg_current_xact_id()
);
comment on column public.profiles.member_number is 'Assigned from member_number_seq at sign-up; members must not be able to update this.';
comment on column public.profiles.subscription_status is 'trial (14 days from sign-up) -> active (Stripe) -> past_due / cancelled. Only the Stripe webhook changes it.';

-- The reminder job looks members up by (timezone, local reminder time).
create index profiles_morning_reminder_idx on public.profiles (timezone, morning_protocol_time);
create index profiles_evening_reminder_idx on public.profiles (timezone, evening_review_time);

-- The time zones members use, by skipping through the (timezone, ...) index: ~400 probes
-- instead of a scan, and only those zones get loaded (pg_timezone_names reads all ~1,200 zone
-- files, about a second in a fresh backend such as a pg_cron job's). For the jobs.
create or replace function private.member_timezones()
returns setof text
language sql
stable
rows 500
set search_path = ''
as $$
  with recursive z (name) as (
    (select p.timezone from public.profiles p order by p.timezone limit 1)
    union all
    select (select p.timezone from public.profiles p where p.timezone > z.name order by p.timezone limit 1)
      from z where z.name is not null
  )
  select z.name from z where z.name is not null
$$;

create table public.user_settings (
  id uuid primary key references public.profiles (id) on delete cascade,
  push_notifications boolean not null default true,
  email_reminders boolean not null default false,
  morning_reminder boolean not null default true,
  evening_reminder boolean not null default true,
  weekly_email boolean not null default true,
  sound_enabled boolean not null default true,
  auto_play_recording boolean not null default true,
  theme text not null default 'system' check (theme in ('light', 'dark', 'system')),
  client_updated_at timestamptz,  -- client clock of the last synced edit (last-writer-wins)
  updated_at timestamptz not null default now(),
  change_xid xid8 not null default pg_current_xact_id()
);

-- The leaderboard is its own narrow table: the only columns of other members anyone can read,
-- present only for members who opted in (docs/rules.md, plan defect 5). Kept in step by a trigger.
create table public.leaderboard (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  display_name text not null,
  member_code text not null,
  current_streak integer not null
);
create index leaderboard_streak_idx on public.leaderboard (current_streak desc);

-- =============================================
-- Triggers
-- =============================================
create or replace function private.check_profile_timezone()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not public.is_valid_timezone(new.timezone) then
    raise exception 'invalid time zone: %', new.timezone
      using errcode = '22023', hint = 'Use an IANA name such as Europe/Paris.';
  end if;
  if new.first_day is null then
    new.first_day := public.protocol_day(coalesce(new.created_at, now()), new.timezone, new.day_start);
  end if;
  return new;
end
$$;

-- Only when the zone changes: reading the zone list on every stats update would be wasteful.
create trigger profiles_check_timezone_on_insert before insert on public.profiles
  for each row execute function private.check_profile_timezone();
create trigger profiles_check_timezone_on_update before update of timezone on public.profiles
  for each row when (old.timezone is distinct from new.timezone)
  execute function private.check_profile_timezone();
create trigger profiles_stamp before update on public.profiles
  for each row execute function private.stamp_change();
create trigger user_settings_stamp before update on public.user_settings
  for each row execute function private.stamp_change();

-- Sign-up: profile + settings. SECURITY DEFINER because it runs as supabase_auth_admin, which
-- has no rights on public; search_path fixed so a caller's path cannot redirect it.
create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  tz text := new.raw_user_meta_data ->> 'timezone';
begin
  if tz is null or not public.is_valid_timezone(tz) then
    tz := 'UTC';
  end if;
  insert into public.profiles (id, email, full_name, timezone, created_at)
  values (new.id, new.email, left(new.raw_user_meta_data ->> 'full_name', 100), tz,
          coalesce(new.created_at, now()));
  insert into public.user_settings (id) values (new.id);
  return new;
end
$$;
revoke execute on function public.handle_new_user() from public, anon, authenticated;

create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();

-- Mirrors opted-in members into public.leaderboard. SECURITY DEFINER: members cannot write it.
create or replace function public.sync_leaderboard_entry()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.leaderboard_opt_in then
    insert into public.leaderboard (user_id, display_name, member_code, current_streak)
    values (new.id, coalesce(new.display_name, 'Member ' || new.member_code), new.member_code,
            new.current_streak)
    on conflict (user_id) do update
      set display_name = excluded.display_name, member_code = excluded.member_code,
          current_streak = excluded.current_streak;
  else
    delete from public.leaderboard where user_id = new.id;
  end if;
  return null;
end
$$;
revoke execute on function public.sync_leaderboard_entry() from public, anon, authenticated;

create trigger profiles_leaderboard_on_insert after insert on public.profiles
  for each row when (new.leaderboard_opt_in)
  execute function public.sync_leaderboard_entry();
create trigger profiles_leaderboard_on_update
  after update of leaderboard_opt_in, display_name, current_streak on public.profiles
  for each row when (new.leaderboard_opt_in or old.leaderboard_opt_in)
  execute function public.sync_leaderboard_entry();

-- =============================================
-- Grants
-- =============================================
revoke all on public.profiles, public.user_settings, public.leaderboard from public, anon, authenticated;
grant all on public.profiles, public.user_settings, public.leaderboard to service_role;

grant select on public.profiles to authenticated;
-- the preferences only: subscription, Stripe, member number, first day and statistics stay out
grant update (full_name, display_name, timezone, day_start, morning_protocol_time,
              evening_review_time, leaderboard_opt_in, prefs_updated_at)
  on public.profiles to authenticated;

grant select on public.user_settings to authenticated;
grant update (push_notifications, email_reminders, morning_reminder, evening_reminder,
              weekly_email, sound_enabled, auto_play_recording, theme, client_updated_at)
  on public.user_settings to authenticated;

-- no user_id: a reader learns a name, a number and a streak, nothing that identifies an account
grant select (display_name, member_code, current_streak) on public.leaderboard to authenticated;

-- =============================================
-- Row level security
-- =============================================
alter table public.profiles enable row level security;
alter table public.user_settings enable row level security;
alter table public.leaderboard enable row level security;

create policy "Members can read their own profile" on public.profiles
  for select to authenticated using ((select auth.uid()) = id);
create policy "Members can update their own profile" on public.profiles
  for update to authenticated using ((select auth.uid()) = id) with check ((select auth.uid()) = id);

create policy "Members can read their own settings" on public.user_settings
  for select to authenticated using ((select auth.uid()) = id);
create policy "Members can update their own settings" on public.user_settings
  for update to authenticated using ((select auth.uid()) = id) with check ((select auth.uid()) = id);

create policy "Signed-in members can read the leaderboard" on public.leaderboard
  for select to authenticated using (true);
