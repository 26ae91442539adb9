-- Reminders that reach the member (issue 15): one channel per member, push through OneSignal
-- or email through Kit, never both, never on a channel that cannot send (docs/rules.md,
-- "Reminders"; docs/backend.md, "Jobs").
--
-- What this adds or changes:
--   * public.push_devices: the phones registered for push (a OneSignal push subscription id per
--     phone), written only through register_push_device (members), unregister_push_device
--     (members) and forget_push_devices (the push dispatcher, for ids OneSignal calls invalid).
--   * private.reminder_senders: the last heartbeat of each sender (public.sender_heartbeat,
--     called by the dispatchers); a sender is alive while its heartbeat is under an hour old.
--   * The shared rules in SQL, tested against the app's Python on the same cases
--     (tests/db/test_db_reminder_rules.py): private.reminder_channel (the one channel: push
--     when push is on and reachable, else email when email is on and reachable, else none) and
--     public.paywalled (the app's paywall: a member not 'active' whose known trial end has
--     come). The reminder job used its own subscription test, which reminded 'past_due'
--     members after their trial while the app paywalls them; the app's rule now holds in both.
--   * queue_reminders: one row per due member and part of the day on that member's one
--     channel, where push is reachable when the member has a registered phone and the push
--     sender is alive, email when the account has an address and the email sender is alive;
--     nothing for a paywalled member, a part switched off or already done, a part that already
--     has a reminder on the other channel that day; nothing at all while no sender is alive.
--     The same shape as 20261201000400_queue_insert_speed.sql (due members per zone, then
--     per-member probes in id order); the new probes are one push_devices lookup per due member
--     with push on (only while the push sender is alive) and one exact-key probe for the other
--     channel's row.
--   * claim_notifications_for returns the member's push subscription ids and a per-row
--     idempotency key (new column), and first finalises the rows it must not send: 'skipped'
--     (that part of the day was done since it was queued), 'expired' (more than 2 hours past
--     its time). public.claim_notifications (every channel, without that check) is dropped:
--     nothing calls it, and it would send what the dispatchers skip.
--   * expire_notifications (pg_cron, every 15 minutes) expires stale rows when no dispatcher
--     runs (push rows queued before this migration, for phones nobody could register, among
--     them); purge_notifications (nightly) removes rows in every final state 30 days after
--     they were due.
--   * sync_pull: every pull carries `reach`, the member's push_reachable and email_reachable
--     (the definitions the job uses), whatever the cursor, so that a device knows whether the
--     server reminds the member (domain/reminders.device_reminds) as of its last pull, even when
--     only a sender's heartbeat changed. A member's first phone registered or last one removed
--     also touches their settings row (a change of the member's rows, for whoever watches them).
--
-- Measured (benchmarks/db_jobs.py --members 1000000 --only queue_reminders, 05:00 UTC slot,
-- half the members with a phone, a third with email on, both senders alive; baseline = the
-- queue_insert_speed body in the same run, which queues a row on every channel switched on):
-- 19,295 queued against the baseline's 38,542; backend CPU 0.99 s against 1.08 s, wall 1.51 s
-- (1.26-1.72) against 1.18 s (1.16-1.50) with the machine at load 4.5-5.7 (the new runs waited
-- 0.57 s for a CPU); the re-run of the slot 0.70 s against 0.91 s. Results: pgTAP
-- 12-jobs-speed.sql (the per-member definition through 9 DST windows) and 13-push-reminders.sql.

-- =============================================
-- Tables
-- =============================================
-- One row per phone registered for push. subscription_id is OneSignal's push subscription id
-- of the app installation; a phone belongs to one member at a time (unique), so a phone that
-- changes hands (sign out, someone else signs in) moves to the new member.
create table public.push_devices (
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  subscription_id text not null unique
    constraint push_devices_subscription_id_format check (subscription_id ~ '^[A-Za-z0-9-]{1,128}$'),
  platform text not null check (platform in ('android', 'ios')),
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),  -- the last registration from that phone
  primary key (user_id, subscription_id)
);

-- The last heartbeat of each reminder sender (the dispatcher of that channel). Read by the job
-- and by sync_pull; written by public.sender_heartbeat.
create table private.reminder_senders (
  channel text primary key check (channel in ('push', 'email')),
  seen_at timestamptz not null
);

-- A final state for rows that must not be sent, and a key the providers use to drop a repeated
-- send of the same row (stable across retries: it is the row's).
alter table public.notification_queue
  add column idempotency_key uuid not null default gen_random_uuid(),
  drop constraint notification_queue_status_check,
  -- pending -> sending (claimed) -> sent | pending (retry) | failed (gave up after 5 attempts);
  -- pending -> skipped (that part of the day was done first) | expired (2 hours late)
  add constraint notification_queue_status_check
    check (status in ('pending', 'sending', 'sent', 'failed', 'expired', 'skipped'));

-- =============================================
-- Grants
-- =============================================
revoke all on public.push_devices from public, anon, authenticated;
grant all on public.push_devices to service_role;
-- members: see and remove their own phones; registering goes through register_push_device
grant select, delete on public.push_devices to authenticated;

revoke all on private.reminder_senders from public, anon, authenticated, service_role;
grant select on private.reminder_senders to authenticated;  -- sync_pull reports reachability

-- =============================================
-- Row level security
-- =============================================
alter table public.push_devices enable row level security;

create policy "Members can read their own push devices" on public.push_devices
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Members can remove their own push devices" on public.push_devices
  for delete to authenticated using ((select auth.uid()) = user_id);

-- =============================================
-- Rules shared with the app (tests/db/test_db_reminder_rules.py holds them equal)
-- =============================================
-- domain/reminders.reminder_channel: 'push', 'email' or null (the server sends nothing).
-- SQL-standard bodies (RETURN): resolved when created, whatever the caller's search_path, and
-- inlined into the calling query by the planner (immutable, no SET clause).
create or replace function private.reminder_channel(push_on boolean, push_reachable boolean,
                                                    email_on boolean, email_reachable boolean)
returns text
language sql
immutable
return case when push_on and push_reachable then 'push'
            when email_on and email_reachable then 'email' end;
revoke execute on function private.reminder_channel(boolean, boolean, boolean, boolean) from public, anon, authenticated, service_role;

-- domain/subscription.Subscription.paywalled: behind the paywall at p_at when not 'active' and
-- the trial end is known and has come (an unknown trial end never locks a member out).
create or replace function public.paywalled(p_status text, p_trial_ends_at timestamptz, p_at timestamptz)
returns boolean
language sql
immutable
return case when p_status = 'active' or p_trial_ends_at is null then false
            else p_at >= p_trial_ends_at end;
revoke execute on function public.paywalled(text, timestamptz, timestamptz) from public, anon;
grant execute on function public.paywalled(text, timestamptz, timestamptz) to authenticated, service_role;

-- =============================================
-- Reachability
-- =============================================
-- Whether the sender of a channel is alive: its last heartbeat is less than an hour old.
create or replace function private.sender_alive(p_channel text)
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (select 1 from private.reminder_senders s
                  where s.channel = p_channel and s.seen_at > now() - interval '1 hour')
$$;
revoke execute on function private.sender_alive(text) from public, anon;
grant execute on function private.sender_alive(text) to authenticated;

-- A member's two server facts, as the reminder job decides them: push reachable = a phone
-- registered and the push sender alive; email reachable = an address on the account and the
-- email sender alive. Called by sync_pull for auth.uid() (RLS shows the member only their own).
create or replace function private.reminder_reachability(p_user_id uuid, out push_reachable boolean,
                                                         out email_reachable boolean)
language sql
stable
set search_path = ''
as $$
  select exists (select 1 from public.push_devices d where d.user_id = p_user_id) and private.sender_alive('push'),
         exists (select 1 from public.profiles p where p.id = p_user_id and p.email is not null)
           and private.sender_alive('email')
$$;
revoke execute on function private.reminder_reachability(uuid) from public, anon;
grant execute on function private.reminder_reachability(uuid) to authenticated;

-- =============================================
-- Registration
-- =============================================
-- The app on a phone, for the signed-in member: this phone takes push reminders. Taking the
-- subscription id over from another member is the phone changing hands. Refreshes
-- last_seen_at on every call. SECURITY DEFINER: members cannot insert or update push_devices
-- themselves (a direct write could not move a phone from its previous owner, and would skip
-- these checks); everything here is for auth.uid() only.
create or replace function public.register_push_device(p_subscription_id text, p_platform text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  if uid is null then
    raise exception 'sign in to register this phone for reminders' using errcode = '42501';
  end if;
  if p_subscription_id is null or p_subscription_id !~ '^[A-Za-z0-9-]{1,128}$' then
    raise exception 'a push subscription id is 1 to 128 letters, digits or hyphens, not %',
      coalesce(pg_catalog.quote_literal(pg_catalog.left(p_subscription_id, 140)), 'null')
      using errcode = '22023';
  end if;
  if p_platform is null or p_platform not in ('android', 'ios') then
    raise exception 'a phone registered for push is ''android'' or ''ios'', not %',
      coalesce(pg_catalog.quote_literal(pg_catalog.left(p_platform, 40)), 'null')
      using errcode = '22023';
  end if;
  -- one statement: two members registering the same phone at once end with one owner
  insert into public.push_devices as d (user_id, subscription_id, platform)
  values (uid, p_subscription_id, p_platform)
  on conflict (subscription_id) do update
     set user_id = excluded.user_id, platform = excluded.platform, last_seen_at = now(),
         created_at = case when d.user_id = excluded.user_id then d.created_at else now() end;
end
$$;
revoke execute on function public.register_push_device(text, text) from public, anon;
grant execute on function public.register_push_device(text, text) to authenticated;

-- The app on a phone, when the member signs out or turns push off there: removes the caller's
-- own registration of that id; anything else (another member's phone, an unknown id) is left
-- alone. Runs as the caller: RLS limits the delete to their own rows.
create or replace function public.unregister_push_device(p_subscription_id text)
returns void
language sql
set search_path = ''
as $$
  delete from public.push_devices d
   where d.user_id = (select auth.uid()) and d.subscription_id = p_subscription_id
$$;
revoke execute on function public.unregister_push_device(text) from public, anon;
grant execute on function public.unregister_push_device(text) to authenticated;

-- The push dispatcher (service_role): removes the member's registrations that OneSignal called
-- invalid (p_subscription_ids), or all of the member's (null). Returns how many were removed.
create or replace function public.forget_push_devices(p_user_id uuid, p_subscription_ids text[])
returns integer
language sql
set search_path = ''
as $$
  with gone as (
    delete from public.push_devices d
     where d.user_id = p_user_id
       and (p_subscription_ids is null or d.subscription_id = any (p_subscription_ids))
    returning 1
  )
  select count(*)::integer from gone
$$;
revoke execute on function public.forget_push_devices(uuid, text[]) from public, anon, authenticated;
grant execute on function public.forget_push_devices(uuid, text[]) to service_role;

-- A dispatcher (service_role), on every run: it can send on p_channel ('push' or 'email').
-- SECURITY DEFINER because service_role has no rights in the private schema; service_role only.
create or replace function public.sender_heartbeat(p_channel text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_channel is null or p_channel not in ('push', 'email') then
    raise exception 'a reminder sender is ''push'' or ''email'', not %',
      coalesce(pg_catalog.quote_literal(pg_catalog.left(p_channel, 40)), 'null') using errcode = '22023';
  end if;
  insert into private.reminder_senders (channel, seen_at) values (p_channel, now())
  on conflict (channel) do update set seen_at = excluded.seen_at;
end
$$;
revoke execute on function public.sender_heartbeat(text) from public, anon, authenticated;
grant execute on function public.sender_heartbeat(text) to service_role;

-- A member's first phone registered, or their last one gone (removed, taken over by another
-- member, forgotten by the dispatcher): their push reachability changed, so their settings row
-- is touched (new change_xid, nothing else), so the change shows as a change of the member's
-- rows to whoever watches them. Devices do not depend on it for the facts: every pull carries
-- them (sync_pull's `reach`), and the app pulls at start, after each save and every few minutes.
-- No device is woken by the touch today: Realtime publishes only public.profiles
-- (20261126001500_realtime.sql); publishing user_settings would make it a wake-up call.
-- Adding a second phone or refreshing one touches nothing. A member being deleted is left alone.
create or replace function private.push_devices_touch_settings()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    update public.user_settings st set id = st.id
     where st.id in (select n.user_id from new_rows n)
       and not exists (select 1 from public.push_devices d
                        where d.user_id = st.id
                          and not exists (select 1 from new_rows n where n.subscription_id = d.subscription_id));
  elsif tg_op = 'UPDATE' then
    update public.user_settings st set id = st.id
     where (st.id in (select n.user_id from new_rows n join old_rows o using (subscription_id)
                       where n.user_id <> o.user_id)
            and not exists (select 1 from public.push_devices d
                             where d.user_id = st.id
                               and not exists (select 1 from new_rows n join old_rows o using (subscription_id)
                                                where n.subscription_id = d.subscription_id and n.user_id <> o.user_id)))
        or (st.id in (select o.user_id from new_rows n join old_rows o using (subscription_id)
                       where n.user_id <> o.user_id)
            and not exists (select 1 from public.push_devices d where d.user_id = st.id));
  else
    update public.user_settings st set id = st.id
     where st.id in (select o.user_id from old_rows o)
       and not exists (select 1 from public.push_devices d where d.user_id = st.id)
       and exists (select 1 from public.profiles p where p.id = st.id);
  end if;
  return null;
end
$$;
revoke execute on function private.push_devices_touch_settings() from public, anon, authenticated, service_role;
create trigger push_devices_touch_settings_on_insert after insert on public.push_devices
  referencing new table as new_rows
  for each statement execute function private.push_devices_touch_settings();
create trigger push_devices_touch_settings_on_update after update on public.push_devices
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.push_devices_touch_settings();
create trigger push_devices_touch_settings_on_delete after delete on public.push_devices
  referencing old table as old_rows
  for each statement execute function private.push_devices_touch_settings();

-- =============================================
-- The reminder job
-- =============================================
-- The reminders of the 15-minute slot containing p_now, for every member whose local morning
-- or evening time falls in it, in one INSERT ... SELECT, each on the member's one channel
-- (private.reminder_channel). Senders first: while neither is alive nothing is queued (and
-- the fence is not taken). Then as in 20261201000400_queue_insert_speed.sql: the fence, the due
-- members per zone through (timezone, reminder time) (LATERAL ... OFFSET 0) with their protocol
-- day inline and the paywall (public.paywalled, inlined) as a filter of that lookup; then in
-- member id order one probe each into user_settings (covering index), push_devices (only for
-- members with push on, while the push sender is alive), daily_sessions and the other
-- channel's row of that part and day (a member whose channel changed since, e.g. a phone
-- registered after an email reminder went out, is not reminded twice).
-- enable_seqscan off: every table the job reads is reached through an index, and must stay so
-- whatever the statistics say. With the queue empty and vacuumed (a fresh project, the
-- benchmark) the planner probed the other channel's row by a sequential scan of
-- notification_queue, which this very INSERT fills as it goes: quadratic, 6 s of CPU instead
-- of 1 s at 1M members.
create or replace function public.queue_reminders(p_now timestamptz default now())
returns integer
language plpgsql
set search_path = ''
set jit = off
set work_mem = '32MB'
set enable_seqscan = off
as $$
declare
  n integer;
  push_alive boolean := private.sender_alive('push');
  email_alive boolean := private.sender_alive('email');
begin
  if not (push_alive or email_alive) then
    return 0;
  end if;
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
    select d.id, d.morning, d.day, d.has_email
      from zones z
     cross join lateral (
       -- the protocol day of public.protocol_day(p_now, timezone, day_start), inline
       select p.id, true as morning,
              (z.local_now - pg_catalog.make_interval(hours => p.day_start))::date as day,
              p.email is not null as has_email
         from public.profiles p
        where p.timezone = z.name
          and p.morning_protocol_time >= z.local_from and p.morning_protocol_time < z.local_to
          and not public.paywalled(p.subscription_status, p.trial_ends_at, p_now)
       union all
       select p.id, false,
              (z.local_now - pg_catalog.make_interval(hours => p.day_start))::date,
              p.email is not null
         from public.profiles p
        where p.timezone = z.name
          and p.evening_review_time >= z.local_from and p.evening_review_time < z.local_to
          and not public.paywalled(p.subscription_status, p.trial_ends_at, p_now)
       offset 0) d
     order by d.id  -- the probes below in key order: neighbouring ids share index pages
  ), wanted as materialized (  -- materialized: each member's channel is decided (and probed) once
    select d.id, d.morning, d.day,
           case when d.morning then 'morning_reminder' else 'evening_reminder' end as kind,
           private.reminder_channel(
             st.push_notifications,
             -- a registered phone: probed only when it can matter. A scalar subquery with LIMIT
             -- is one index probe per member; as EXISTS the planner may hash all of push_devices.
             case when push_alive and st.push_notifications
                  then coalesce((select true from public.push_devices pd where pd.user_id = d.id limit 1), false)
                  else false end,
             st.email_reminders,
             email_alive and d.has_email) as channel
      from due d
      -- one index probe per due member whatever the tables' sizes (see queue_insert_speed)
     cross join lateral (
       select st.push_notifications, st.email_reminders, st.morning_reminder, st.evening_reminder
         from public.user_settings st
        where st.id = d.id
       offset 0) st
     where case when d.morning then st.morning_reminder else st.evening_reminder end
       -- that part of the day not done: (user_id, date) is unique, so at most one row
       and not coalesce((select case when d.morning then s.morning_completed else s.evening_completed end
                           from public.daily_sessions s
                          where s.user_id = d.id and s.date = d.day), false)
  )
  insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
  select w.id, w.kind, w.channel, w.day,
         case when w.morning then 'chrisapp://open/morning' else 'chrisapp://open/evening' end,
         p_now
    from wanted w
   where w.channel is not null
     -- nor already reminded on the other channel (same part, same day): one probe of the unique
     -- key (as NOT EXISTS the planner hashed the whole queue)
     and (select q.id from public.notification_queue q
           where q.user_id = w.id and q.kind = w.kind
             and q.channel = case w.channel when 'push' then 'email' else 'push' end
             and q.protocol_day = w.day) is null
  on conflict (user_id, kind, channel, protocol_day) do nothing;
  get diagnostics n = row_count;
  return n;
end
$$;
-- pg_cron runs it as postgres; nobody calls it through the API
revoke execute on function public.queue_reminders(timestamptz) from public, anon, authenticated, service_role;

-- =============================================
-- The dispatchers' side
-- =============================================
drop function public.claim_notifications(integer);
drop function public.claim_notifications_for(text, integer);  -- its result gains two columns

-- For the dispatcher of one channel (service_role): up to p_limit reminders to send now, with
-- what sending needs (the member's email, name and code; for push, the member's registered
-- subscription ids) and the row's idempotency key. Claims the oldest due rows first; SKIP
-- LOCKED, so two dispatchers never claim the same row; a claim older than 10 minutes (a
-- crashed dispatcher) can be claimed again. Each row it looks at and must not send is
-- finalised instead, and counts for nothing: 'skipped' when that part of the day has been
-- done since it was queued, 'expired' when it is more than 2 hours past its time. It looks
-- further (in batches) until p_limit rows are claimed or none is left.
create function public.claim_notifications_for(p_channel text, p_limit integer default 100)
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
    with candidates as (
      select c.id, c.user_id, c.kind, c.protocol_day, c.scheduled_for
        from public.notification_queue c
       where c.channel = p_channel and c.scheduled_for <= now()
         and (c.status = 'pending' or (c.status = 'sending' and c.claimed_at < now() - interval '10 minutes'))
       order by c.scheduled_for
       limit wanted
       for update skip locked
    ), judged as (
      select c.id,
             case when coalesce((select case when c.kind = 'morning_reminder' then s.morning_completed
                                             else s.evening_completed end
                                   from public.daily_sessions s
                                  where s.user_id = c.user_id and s.date = c.protocol_day), false) then 'skipped'
                  when c.scheduled_for < now() - interval '2 hours' then 'expired'
                  else 'sending' end as next_status
        from candidates c
    ), moved as (
      update public.notification_queue q
         set status = j.next_status,
             claimed_at = case when j.next_status = 'sending' then now() else q.claimed_at end,
             attempts = q.attempts + case when j.next_status = 'sending' then 1 else 0 end
        from judged j
       where q.id = j.id
      returning q.id, q.status
    )
    select count(*)::integer, coalesce(array_agg(m.id) filter (where m.status = 'sending'), '{}')
      into looked, got
      from moved m;
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

-- pg_cron, every 15 minutes: rows more than 2 hours past their time that nobody sent (no
-- dispatcher ran, or none for their channel) become 'expired'. A row in a dispatcher's hands
-- (claimed less than 10 minutes ago) is left to it. Returns how many.
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
          and (c.status = 'pending' or (c.status = 'sending' and c.claimed_at < p_now - interval '10 minutes'))
        for update skip locked)
    returning 1
  )
  select count(*)::integer from gone
$$;
revoke execute on function public.expire_notifications(timestamptz) from public, anon, authenticated, service_role;

-- pg_cron, nightly: rows in a final state (sent, failed, expired, skipped) are kept 30 days
-- after they were due, for support, then removed. Returns how many.
create or replace function public.purge_notifications(p_now timestamptz default now())
returns integer
language sql
set search_path = ''
as $$
  with gone as (
    delete from public.notification_queue q
     where q.status in ('sent', 'failed', 'expired', 'skipped')
       and q.scheduled_for < p_now - interval '30 days'
    returning 1
  )
  select count(*)::integer from gone
$$;
revoke execute on function public.purge_notifications(timestamptz) from public, anon, authenticated, service_role;

-- =============================================
-- Sync
-- =============================================
-- sync_pull as in 20261126001100_sync.sql, plus `reach`: always one object with the member's
-- push_reachable and email_reachable (read-only server facts, private.reminder_reachability),
-- whatever the cursor. Facts change without any row of the member changing (a sender going
-- quiet or coming back), so they cannot ride on the settings row, which comes only when it
-- changed since the cursor.
create or replace function public.sync_pull(since bigint default 0, client_id uuid default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  -- taken before the rows are read: every transaction below it had finished by then
  horizon xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
  since_xid xid8 := greatest(coalesce(since, 0), 0)::text::xid8;
begin
  if uid is null then
    raise exception 'sign in to sync' using errcode = '42501';
  end if;
  if sync_pull.client_id is not null then
    insert into public.last_seen (user_id, client_id) values (uid, sync_pull.client_id)
    on conflict on constraint last_seen_pkey do update set seen_at = now();
  end if;
  return jsonb_build_object(
    'cursor', horizon::text::bigint,
    'changes', jsonb_build_object(
      'daily_sessions', coalesce((
        select jsonb_agg(to_jsonb(s) - 'change_xid' order by s.date)
          from public.daily_sessions s where s.user_id = uid and s.change_xid >= since_xid), '[]'::jsonb),
      'affirmations', coalesce((
        select jsonb_agg(to_jsonb(a) - 'change_xid' order by a.version)
          from public.affirmations a where a.user_id = uid and a.change_xid >= since_xid), '[]'::jsonb),
      'vision_boards', coalesce((
        select jsonb_agg(to_jsonb(v) - 'change_xid' order by v.position)
          from public.vision_boards v where v.user_id = uid and v.change_xid >= since_xid), '[]'::jsonb),
      'user_settings', coalesce((
        select jsonb_agg(to_jsonb(st) - 'change_xid')
          from public.user_settings st where st.id = uid and st.change_xid >= since_xid), '[]'::jsonb),
      'profile', coalesce((
        select jsonb_agg(to_jsonb(p) - 'change_xid')
          from public.profiles p where p.id = uid and p.change_xid >= since_xid), '[]'::jsonb),
      'reach', (select jsonb_build_array(to_jsonb(r)) from private.reminder_reachability(uid) r)));
end
$$;
revoke execute on function public.sync_pull(bigint, uuid) from public, anon;
grant execute on function public.sync_pull(bigint, uuid) to authenticated;

-- =============================================
-- Jobs
-- =============================================
select cron.schedule('expire-notifications', '*/15 * * * *', $$select public.expire_notifications()$$);
-- replaces the job of 20261126001300_cron.sql (same name), which kept expired, skipped and
-- never-sent rows for ever
select cron.schedule('purge-notifications', '27 3 * * *', $$select public.purge_notifications()$$);
