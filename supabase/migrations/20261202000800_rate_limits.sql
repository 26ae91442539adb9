-- Rate limits (issue 18, item 6): at most 100 requests a minute per member on the sync RPCs and
-- on the edge functions, each its own token bucket kept here in Postgres (docs/operators.md,
-- "Rate limits").
--
-- A bucket holds up to per_minute tokens and refills continuously at per_minute a minute: a
-- member who was quiet may burst up to per_minute requests at once, then goes on at the refill
-- rate. Each request takes one token; a request that finds less than one token is refused and
-- takes nothing, and is told how long until a token is free.
--
--   * private.rate_limit_config: per_minute of each bucket ('sync', 'functions'); operators
--     change a limit with one UPDATE (it applies to the next request).
--   * private.rate_buckets: one row per member and bucket, made on the member's first request.
--   * private.take_rate_token(p_user, p_bucket): 0 when the request may go on (a token taken),
--     else the seconds until a token is free (> 0, nothing taken).
--   * public.take_rate_token: the same for the edge functions (service_role only).
--   * sync_push and sync_pull take a 'sync' token first (private.enforce_rate_limit) and, when
--     refused, end the request with HTTP 429 and Retry-After (see there for how).

-- =============================================
-- Tables
-- =============================================
create table private.rate_limit_config (
  bucket text primary key check (bucket ~ '^[a-z_]{1,40}$'),
  per_minute integer not null check (per_minute > 0)
);
insert into private.rate_limit_config (bucket, per_minute) values ('sync', 100), ('functions', 100);

-- tokens: what was left at updated_at (the refill since then is added when it is next read).
-- No foreign key to profiles: a request with a still-valid token of an account deleted a
-- moment ago must not fail on the bucket (23503) before it fails where it should. A deleted
-- member's buckets go with delete_member (20261202001000_audit_log.sql) and the nightly purge.
create table private.rate_buckets (
  user_id uuid not null,
  bucket text not null references private.rate_limit_config (bucket) on delete cascade,
  tokens double precision not null check (tokens >= 0),
  updated_at timestamptz not null,
  primary key (user_id, bucket)
);

-- =============================================
-- Grants
-- =============================================
-- Nobody but the functions below (SECURITY DEFINER, owned by the migration role) touches them.
revoke all on private.rate_limit_config, private.rate_buckets from public, anon, authenticated, service_role;

-- =============================================
-- Functions
-- =============================================
-- Takes one token of p_user's p_bucket. Returns 0 when one was taken (the request may go on),
-- else the seconds until one token is free (nothing taken). The clock is now(), the start of
-- the caller's transaction: one request, one instant. A member's concurrent requests queue on
-- the bucket row's lock, so no two of them take the same token.
-- SECURITY DEFINER: members' own requests (sync_push, sync_pull, which run as the member) take
-- their tokens here, but may neither read nor write the buckets directly. A request that
-- carries a member's JWT may only take that member's own token (a member cannot drain another's
-- bucket); the service role (edge functions, no `sub`) takes any member's.
create or replace function private.take_rate_token(p_user uuid, p_bucket text)
returns double precision
language plpgsql
security definer
set search_path = ''
as $$
declare
  cap double precision;
  left_tokens double precision;
  last_at timestamptz;
  at_now constant timestamptz := now();
begin
  if p_user is null then
    raise exception 'a rate limit needs a member' using errcode = '22023';
  end if;
  if auth.uid() is not null and p_user is distinct from auth.uid() then
    raise exception 'a member takes only their own rate tokens' using errcode = '42501';
  end if;
  select c.per_minute into cap from private.rate_limit_config c where c.bucket = p_bucket;
  if cap is null then
    raise exception 'no rate limit bucket %', coalesce(pg_catalog.quote_literal(pg_catalog.left(p_bucket, 40)), 'null')
      using errcode = '22023';
  end if;
  insert into private.rate_buckets (user_id, bucket, tokens, updated_at)
  values (p_user, p_bucket, cap, at_now)
  on conflict (user_id, bucket) do nothing;
  select b.tokens, b.updated_at into left_tokens, last_at
    from private.rate_buckets b where b.user_id = p_user and b.bucket = p_bucket
     for update;
  -- the refill since the last request (none when a concurrent request started later), capped
  left_tokens := least(cap, left_tokens
    + greatest(pg_catalog.date_part('epoch', at_now - last_at), 0) * cap / 60.0);
  if left_tokens >= 1 then
    update private.rate_buckets b
       set tokens = left_tokens - 1, updated_at = greatest(last_at, at_now)
     where b.user_id = p_user and b.bucket = p_bucket;
    return 0;
  end if;
  -- refused: the bucket stays as it was (its refill is computed again next time)
  return (1 - left_tokens) * 60.0 / cap;
end
$$;
revoke execute on function private.take_rate_token(uuid, text) from public, anon, authenticated, service_role;
grant execute on function private.take_rate_token(uuid, text) to authenticated, service_role;

-- The edge functions (service_role): same meaning as private.take_rate_token. A member function
-- answers a positive result with 429, Retry-After = the result rounded up.
create or replace function public.take_rate_token(p_user uuid, p_bucket text)
returns double precision
language sql
set search_path = ''
as $$
  select private.take_rate_token(p_user, p_bucket)
$$;
revoke execute on function public.take_rate_token(uuid, text) from public, anon, authenticated;
grant execute on function public.take_rate_token(uuid, text) to service_role;

-- For the member's own requests (sync_push, sync_pull): takes a token of p_bucket for
-- auth.uid() and, when refused, ends the request. PostgREST turns a raised SQLSTATE 'PGRST'
-- into a response of our own making (docs.postgrest.org, Errors, "Add HTTP Headers with RAISE"):
--   RAISE sqlstate 'PGRST' USING
--       message = '{"code":"123","message":"Payment Required","details":"Quota exceeded","hint":"Upgrade your plan"}',
--       detail = '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}';
-- answers HTTP 402 with the header X-Powered-By and the message's JSON as the body ("details"
-- and "hint" optional); JSON it cannot parse becomes a PGRST121 error. So here: HTTP 429,
-- `Retry-After: N` (whole seconds, at least 1) and the body
-- {"code": "rate_limited", "message": "Too many requests: try again in N s."}.
-- Under plain SQL (tests) the same error arrives as SQLSTATE 'PGRST' with that message/detail.
create or replace function private.enforce_rate_limit(p_bucket text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  wait double precision := private.take_rate_token(auth.uid(), p_bucket);
  n integer;
begin
  if wait > 0 then
    n := greatest(pg_catalog.ceil(wait), 1)::integer;
    raise sqlstate 'PGRST' using
      message = pg_catalog.jsonb_build_object(
        'code', 'rate_limited',
        'message', pg_catalog.format('Too many requests: try again in %s s.', n))::text,
      detail = pg_catalog.jsonb_build_object(
        'status', 429,
        'headers', pg_catalog.jsonb_build_object('Retry-After', n::text))::text;
  end if;
end
$$;
revoke execute on function private.enforce_rate_limit(text) from public, anon, authenticated, service_role;
grant execute on function private.enforce_rate_limit(text) to authenticated;

-- Nightly: a bucket untouched for a day is full again whatever it held, so its row says
-- nothing the default does not; removing it keeps the table as small as the day's members.
create or replace function public.purge_rate_buckets(p_now timestamptz default now())
returns integer
language sql
set search_path = ''
as $$
  with gone as (
    delete from private.rate_buckets b where b.updated_at < p_now - interval '1 day'
    returning 1
  )
  select count(*)::integer from gone
$$;
-- pg_cron runs it as postgres; nobody calls it through the API
revoke execute on function public.purge_rate_buckets(timestamptz) from public, anon, authenticated, service_role;

-- =============================================
-- Sync: a 'sync' token first
-- =============================================
-- sync_push as in 20261201000100_sync_merge.sql, plus the token (after the sign-in check, so
-- an anonymous caller still gets 42501; before anything is read or written).
create or replace function public.sync_push(changes jsonb, client_id uuid, op_id bigint)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  previous jsonb;
  tbl text;
  rec jsonb;
  outcome jsonb;
  problem jsonb;
  applied integer := 0;
  unchanged integer := 0;
  rejected jsonb := '[]'::jsonb;
  ids jsonb := '{}'::jsonb;
  versions jsonb := '{}'::jsonb;
  push_result jsonb;
begin
  if uid is null then
    raise exception 'sign in to sync' using errcode = '42501';
  end if;
  perform private.enforce_rate_limit('sync');
  if changes is null or jsonb_typeof(changes) <> 'object' or client_id is null or op_id is null then
    raise exception 'sync_push needs changes (an object), client_id and op_id' using errcode = '22023';
  end if;
  if (select coalesce(sum(jsonb_array_length(v)), 0) from jsonb_each(changes) e (k, v)
       where jsonb_typeof(v) = 'array') > 1000 then
    raise exception 'at most 1000 rows per push' using errcode = '54000';
  end if;

  -- One push at a time per member: natural-key merges never race each other.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('sync:' || uid::text, 0));

  insert into public.sync_ops (user_id, client_id, op_id)
  values (uid, sync_push.client_id, sync_push.op_id)
  on conflict on constraint sync_ops_pkey do nothing;
  if not found then
    select o.result into previous from public.sync_ops o
     where o.user_id = uid and o.client_id = sync_push.client_id and o.op_id = sync_push.op_id;
    return coalesce(previous, '{}'::jsonb) || jsonb_build_object('replayed', true);
  end if;

  perform set_config('chris.deferred_stats', uid::text, true);  -- flushed by the sync_ops update below
  -- profile and settings first: a new time zone applies before the sessions' statistics
  foreach tbl in array array['profile', 'user_settings', 'affirmations', 'vision_boards', 'daily_sessions'] loop
    for rec in
      select v from jsonb_array_elements(
        case jsonb_typeof(changes -> tbl) when 'array' then changes -> tbl
                                          when 'object' then jsonb_build_array(changes -> tbl)
                                          else '[]'::jsonb end) v
    loop
      begin
        if jsonb_typeof(rec) <> 'object' then
          raise exception 'a change must be an object' using errcode = '22023';
        end if;
        outcome := case tbl
          when 'daily_sessions' then private.sync_apply_session(uid, rec)
          when 'affirmations' then private.sync_apply_affirmation(uid, rec)
          when 'vision_boards' then private.sync_apply_tile(uid, rec)
          when 'user_settings' then private.sync_apply_settings(uid, rec)
          when 'profile' then private.sync_apply_profile(uid, rec)
        end;
        if outcome ->> 'status' = 'applied' then
          applied := applied + 1;
        else
          unchanged := unchanged + 1;
        end if;
        if rec ? 'id' and rec ->> 'id' is distinct from outcome ->> 'id' and tbl not in ('profile', 'user_settings') then
          ids := ids || jsonb_build_object(rec ->> 'id', outcome -> 'id');
        end if;
        if outcome ? 'version' then
          versions := versions || jsonb_build_object(outcome ->> 'id', outcome -> 'version');
        end if;
        -- fields of a row that the server refused while the others applied
        for problem in select p from jsonb_array_elements(coalesce(outcome -> 'problems', '[]'::jsonb)) p loop
          rejected := rejected || jsonb_build_array(jsonb_build_object(
            'table', tbl, 'id', rec ->> 'id', 'field', problem ->> 'field', 'code', problem ->> 'code',
            'reason', problem ->> 'reason', 'current', private.sync_current(uid, tbl, rec)));
        end loop;
      exception when others then
        rejected := rejected || jsonb_build_array(jsonb_build_object(
          'table', tbl, 'id', case when jsonb_typeof(rec) = 'object' then rec ->> 'id' end,
          'code', sqlstate, 'reason', sqlerrm,
          'current', case when jsonb_typeof(rec) = 'object' then private.sync_current(uid, tbl, rec) else '[]'::jsonb end));
      end;
    end loop;
  end loop;

  push_result := jsonb_build_object('op_id', op_id, 'applied', applied, 'unchanged', unchanged,
                               'rejected', rejected, 'ids', ids, 'versions', versions, 'replayed', false);
  update public.sync_ops o set result = push_result
   where o.user_id = uid and o.client_id = sync_push.client_id and o.op_id = sync_push.op_id;
  return push_result;
end
$$;
revoke execute on function public.sync_push(jsonb, uuid, bigint) from public, anon;
grant execute on function public.sync_push(jsonb, uuid, bigint) to authenticated;

-- sync_pull as in 20261202000100_push_reminders.sql, plus the token (after the sign-in check).
-- 20261202000900_devices.sql replaces it with the four-argument pull, which keeps the token.
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
  perform private.enforce_rate_limit('sync');
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
select cron.schedule('purge-rate-buckets', '57 3 * * *', $$select public.purge_rate_buckets()$$);
