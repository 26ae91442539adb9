-- The audit log (issue 18, item 4): what was done with a member's account and by whom —
-- exports, the account's deletion, support access, other sessions signed out. Written by the
-- server only; each member reads their own rows (Settings, "Activity"), and the export carries
-- them. docs/operators.md, "Audit log".
--
--   * public.audit_log: one row per event. No foreign key to the member: the 'account_deleted'
--     row must outlive the account it records. Rows are kept 2 years (public.purge_audit_log,
--     nightly), then removed.
--   * public.record_audit: the edge functions (service_role) write an event for a member.
--   * public.record_own_audit: a member's app writes the one event only the app knows of, that
--     it signed the member's other sessions out ('sessions_revoked').
--   * public.support_access: the one sanctioned way for support staff to look at an account
--     (a summary without affirmation text, recordings or images), itself an audit row.
--   * public.delete_member writes 'account_deleted' before it deletes.
--   * public.export_member carries the member's audit rows.

-- =============================================
-- Tables
-- =============================================
create table public.audit_log (
  id bigint generated always as identity primary key,
  user_id uuid not null,  -- the member the event is about (no FK: see above)
  event text not null check (event in ('export_created', 'export_downloaded', 'account_deleted',
                                       'support_access', 'sessions_revoked')),
  actor text not null check (actor in ('member', 'support', 'system')),
  detail jsonb not null default '{}'::jsonb check (jsonb_typeof(detail) = 'object'),
  at timestamptz not null default now()
);
-- a member's activity, newest first (Settings reads at most a page of it)
create index audit_log_user_at_idx on public.audit_log (user_id, at desc);
-- the nightly purge
create index audit_log_at_idx on public.audit_log (at);

-- =============================================
-- Grants
-- =============================================
revoke all on public.audit_log from public, anon, authenticated;
grant all on public.audit_log to service_role;
-- members read (their own, by RLS) and never write: every row comes through the functions below
grant select on public.audit_log to authenticated;

-- =============================================
-- Row level security
-- =============================================
alter table public.audit_log enable row level security;

create policy "Members can read their own audit log" on public.audit_log
  for select to authenticated using ((select auth.uid()) = user_id);

-- =============================================
-- Functions
-- =============================================
-- The edge functions (service_role): one event about p_user. Returns the row's id. The checks
-- of the table apply (an unknown event or actor is 23514); detail must be an object.
create or replace function public.record_audit(p_user uuid, p_event text, p_actor text,
                                               p_detail jsonb default '{}'::jsonb)
returns bigint
language sql
set search_path = ''
as $$
  insert into public.audit_log (user_id, event, actor, detail)
  values (p_user, p_event, p_actor, coalesce(p_detail, '{}'::jsonb))
  returning id
$$;
revoke execute on function public.record_audit(uuid, text, text, jsonb) from public, anon, authenticated;
grant execute on function public.record_audit(uuid, text, text, jsonb) to service_role;

-- The member's app, after it signed the member's other sessions out (GoTrue's logout with
-- scope=others, which the database does not see): records 'sessions_revoked' for auth.uid(),
-- actor 'member'. Nothing else: every other event is the server's to write (22023 for any
-- other event, a detail that is not an object or longer than 2,000 characters).
-- SECURITY DEFINER: members have no INSERT on audit_log (they could write any event); this is
-- the one row a member may add, and only about themselves. It takes a 'functions' rate token
-- like any other request of the member that writes (429 when refused).
create or replace function public.record_own_audit(p_event text, p_detail jsonb default '{}'::jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  d jsonb := coalesce(p_detail, '{}'::jsonb);
begin
  if uid is null then
    raise exception 'sign in to record account activity' using errcode = '42501';
  end if;
  if p_event is distinct from 'sessions_revoked' then
    raise exception 'a member records only ''sessions_revoked'', not %',
      coalesce(pg_catalog.quote_literal(pg_catalog.left(p_event, 40)), 'null') using errcode = '22023';
  end if;
  if pg_catalog.jsonb_typeof(d) <> 'object' or pg_catalog.char_length(d::text) > 2000 then
    raise exception 'the detail of an event is a JSON object of at most 2000 characters' using errcode = '22023';
  end if;
  perform private.enforce_rate_limit('functions');
  insert into public.audit_log (user_id, event, actor, detail) values (uid, p_event, 'member', d);
end
$$;
revoke execute on function public.record_own_audit(text, jsonb) from public, anon;
grant execute on function public.record_own_audit(text, jsonb) to authenticated;

-- Support staff, through a service_role tool: the one sanctioned look at a member's account.
-- p_staff names who looks and p_reason why (both required: 22023 when empty); each look is an
-- audit row the member sees ('support_access', actor 'support', detail {staff, reason}).
-- Returns a summary: the profile's account and subscription fields, statistics, how many days,
-- readings, affirmation versions and tiles there are, the devices. Never the text of
-- affirmations, wins or actions, nor a recording or image path. No such member: P0002.
create or replace function public.support_access(p_user uuid, p_staff text, p_reason text)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  summary jsonb;
begin
  if pg_catalog.btrim(coalesce(p_staff, '')) = '' then
    raise exception 'support access needs the name of the staff member who looks' using errcode = '22023';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'support access needs a reason' using errcode = '22023';
  end if;
  select pg_catalog.jsonb_build_object(
           'user_id', p.id,
           'member_code', p.member_code,
           'email', p.email,
           'created_at', p.created_at,
           'first_day', p.first_day,
           'timezone', p.timezone,
           'day_start', p.day_start,
           'subscription', pg_catalog.jsonb_build_object(
             'status', p.subscription_status, 'trial_ends_at', p.trial_ends_at,
             'stripe_customer_id', p.stripe_customer_id, 'stripe_price_id', p.stripe_price_id,
             'current_period_end', p.subscription_current_period_end,
             'started_at', p.subscription_started_at, 'ends_at', p.subscription_ends_at),
           'stats', pg_catalog.jsonb_build_object(
             'current_streak', p.current_streak, 'longest_streak', p.longest_streak,
             'total_days_completed', p.total_days_completed, 'stats_day', p.stats_day),
           'counts', pg_catalog.jsonb_build_object(
             'days', (select count(*) from public.daily_sessions s where s.user_id = p.id),
             'readings', (select count(*) from public.daily_sessions s
                           where s.user_id = p.id and s.recording_path is not null),
             'last_day', (select max(s.date) from public.daily_sessions s where s.user_id = p.id),
             'affirmation_versions', (select count(*) from public.affirmations a where a.user_id = p.id),
             'tiles', (select count(*) from public.vision_boards v where v.user_id = p.id)),
           'devices', coalesce((select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                   'platform', l.platform, 'app_version', l.app_version, 'seen_at', l.seen_at)
                                   order by l.seen_at desc)
                                  from public.last_seen l where l.user_id = p.id), '[]'::jsonb))
    into summary
    from public.profiles p where p.id = p_user;
  if summary is null then
    raise exception 'no member %', p_user using errcode = 'P0002';
  end if;
  insert into public.audit_log (user_id, event, actor, detail)
  values (p_user, 'support_access', 'support',
          pg_catalog.jsonb_build_object('staff', pg_catalog.btrim(p_staff), 'reason', pg_catalog.btrim(p_reason)));
  return summary;
end
$$;
revoke execute on function public.support_access(uuid, text, text) from public, anon, authenticated;
grant execute on function public.support_access(uuid, text, text) to service_role;

-- pg_cron, nightly: rows older than 2 years are removed. Returns how many.
create or replace function public.purge_audit_log(p_now timestamptz default now())
returns integer
language sql
set search_path = ''
as $$
  with gone as (
    delete from public.audit_log a where a.at < p_now - interval '2 years'
    returning 1
  )
  select count(*)::integer from gone
$$;
revoke execute on function public.purge_audit_log(timestamptz) from public, anon, authenticated, service_role;

-- =============================================
-- Deletion and export
-- =============================================
-- As in 20261126001200_data_rights.sql, plus the 'account_deleted' row (actor 'member': the
-- delete-account function acts on the member's own request), written first for a member who
-- exists, with how many stored objects the deletion found. The row stays after the account.
-- The member's rate buckets go too (private.rate_buckets has no foreign key to cascade).
create or replace function public.delete_member(p_user_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  removed jsonb;
begin
  if exists (select 1 from auth.users u where u.id = p_user_id) then
    insert into public.audit_log (user_id, event, actor, detail)
    values (p_user_id, 'account_deleted', 'member',
            pg_catalog.jsonb_build_object('storage_objects',
              (select count(*) from storage.objects o
                where o.bucket_id in ('recordings', 'vision-boards', 'exports')
                  and (storage.foldername(o.name))[1] = p_user_id::text)));
  end if;
  with gone as (
    delete from storage.objects o
     where o.bucket_id in ('recordings', 'vision-boards', 'exports')
       and (storage.foldername(o.name))[1] = p_user_id::text
    returning o.bucket_id, o.name
  )
  select coalesce(jsonb_agg(jsonb_build_object('bucket', g.bucket_id, 'name', g.name)), '[]'::jsonb)
    into removed from gone g;
  delete from private.rate_buckets b where b.user_id = p_user_id;  -- no foreign key there
  delete from auth.users u where u.id = p_user_id;
  return jsonb_build_object('user_id', p_user_id, 'deleted', found, 'storage_objects', removed);
end
$$;
revoke execute on function public.delete_member(uuid) from public, anon, authenticated;
grant execute on function public.delete_member(uuid) to service_role;

-- As in 20261126001200_data_rights.sql, plus `audit_log`: the member's own activity rows.
create or replace function public.export_member(p_user_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  if auth.role() is distinct from 'service_role' and p_user_id is distinct from auth.uid() then
    raise exception 'members can export only their own data' using errcode = '42501';
  end if;
  return (
    select jsonb_build_object(
      'format', 'chris-disciplined-export/1',
      'exported_at', now(),
      'profile', (select to_jsonb(p) - 'change_xid' from public.profiles p where p.id = p_user_id),
      'settings', (select to_jsonb(s) - 'change_xid' from public.user_settings s where s.id = p_user_id),
      'daily_sessions', coalesce((select jsonb_agg(to_jsonb(d) - 'change_xid' order by d.date)
                                    from public.daily_sessions d where d.user_id = p_user_id), '[]'::jsonb),
      'affirmations', coalesce((select jsonb_agg(to_jsonb(a) - 'change_xid' order by a.version)
                                  from public.affirmations a where a.user_id = p_user_id), '[]'::jsonb),
      'vision_boards', coalesce((select jsonb_agg(to_jsonb(v) - 'change_xid' order by v.position)
                                   from public.vision_boards v where v.user_id = p_user_id), '[]'::jsonb),
      'devices', coalesce((select jsonb_agg(to_jsonb(l) order by l.seen_at)
                             from public.last_seen l where l.user_id = p_user_id), '[]'::jsonb),
      'ai_usage', coalesce((select jsonb_agg(to_jsonb(u) order by u.day)
                              from public.ai_usage u where u.user_id = p_user_id), '[]'::jsonb),
      'audit_log', coalesce((select jsonb_agg(jsonb_build_object('event', g.event, 'actor', g.actor,
                                                                 'detail', g.detail, 'at', g.at)
                                              order by g.at, g.id)
                               from public.audit_log g where g.user_id = p_user_id), '[]'::jsonb),
      'files', coalesce((select jsonb_agg(jsonb_build_object('bucket', o.bucket_id, 'name', o.name,
                                                             'size', o.metadata ->> 'size',
                                                             'created_at', o.created_at)
                                          order by o.bucket_id, o.name)
                           from storage.objects o
                          where o.bucket_id in ('recordings', 'vision-boards', 'exports')
                            and (storage.foldername(o.name))[1] = p_user_id::text), '[]'::jsonb)));
end
$$;
revoke execute on function public.export_member(uuid) from public, anon;
grant execute on function public.export_member(uuid) to authenticated, service_role;

-- =============================================
-- Jobs
-- =============================================
select cron.schedule('purge-audit-log', '47 3 * * *', $$select public.purge_audit_log()$$);
