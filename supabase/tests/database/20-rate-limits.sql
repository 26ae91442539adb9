-- Rate limits (migrations/20261202000800_rate_limits.sql): one token bucket per member and
-- bucket, 100 requests a minute; sync_push and sync_pull refused with SQLSTATE 'PGRST' (HTTP
-- 429 and Retry-After through PostgREST) once the member's 'sync' bucket is empty; nothing of a
-- refused push is written; other members and other buckets go on. Inside one transaction now()
-- does not move, so the buckets refill only when a test moves their updated_at back.
begin;
select plan(44);

-- Inside this transaction (rolled back at the end) only this file's buckets exist.
delete from private.rate_buckets;

select tests.create_supabase_user(n) from unnest(array['ana', 'bob']) n;
select tests.get_supabase_uid('ana') as ana \gset
select tests.get_supabase_uid('bob') as bob \gset

-- How many of n runs of a statement went through, and how many were refused with 'PGRST'
-- (each run in its own subtransaction, as each request is its own transaction).
create function pg_temp.tries(stmt text, n integer) returns integer[] language plpgsql as $$
declare
  passed integer := 0;
  refused integer := 0;
begin
  for i in 1..n loop
    begin
      execute stmt;
      passed := passed + 1;
    exception when sqlstate 'PGRST' then
      refused := refused + 1;
    end;
  end loop;
  return array[passed, refused];
end
$$;
-- The error a statement raises: SQLSTATE, message and detail (message and detail as JSON).
create function pg_temp.refusal(stmt text) returns jsonb language plpgsql as $$
declare
  st text;
  msg text;
  det text;
begin
  execute stmt;
  return null;
exception when others then
  get stacked diagnostics st = returned_sqlstate, msg = message_text, det = pg_exception_detail;
  return jsonb_build_object('sqlstate', st, 'message', msg::jsonb, 'detail', det::jsonb);
end
$$;
grant execute on function pg_temp.tries(text, integer), pg_temp.refusal(text) to authenticated, anon;

-- =============================================================================================
-- The objects and who may touch them
-- =============================================================================================
select has_table('private', 'rate_buckets', 'the buckets have their table');
select col_is_pk('private', 'rate_buckets', array['user_id', 'bucket'], 'one bucket per member and name');
select results_eq($$select bucket, per_minute from private.rate_limit_config order by bucket$$,
  $$values ('functions', 100), ('sync', 100)$$, 'two buckets, 100 requests a minute each');
select table_privs_are('private', 'rate_buckets', 'authenticated', array[]::text[], 'members cannot touch the buckets');
select table_privs_are('private', 'rate_limit_config', 'authenticated', array[]::text[], 'nor the limits');
select table_privs_are('private', 'rate_buckets', 'service_role', array[]::text[],
  'the service role goes through take_rate_token too');
select function_privs_are('public', 'take_rate_token', array['uuid', 'text'], 'service_role', array['EXECUTE'],
  'the edge functions take tokens');
select function_privs_are('public', 'take_rate_token', array['uuid', 'text'], 'authenticated', array[]::text[],
  'members cannot call the public token function');
select function_privs_are('public', 'take_rate_token', array['uuid', 'text'], 'anon', array[]::text[],
  'nor can anonymous callers');
select function_privs_are('private', 'take_rate_token', array['uuid', 'text'], 'anon', array[]::text[],
  'anonymous callers cannot take tokens at all');
select is((select count(*)::int from pg_proc where proname = 'purge_rate_buckets'
            and (has_function_privilege('anon', oid, 'execute') or has_function_privilege('authenticated', oid, 'execute')
                 or has_function_privilege('service_role', oid, 'execute'))), 0,
  'the purge is pg_cron''s only');
select is((select count(*)::int from cron.job where jobname = 'purge-rate-buckets'), 1, 'and runs nightly');
select tests.rls_enabled('public');

-- =============================================================================================
-- Owner: 100 pulls and pushes a minute, then 429
-- =============================================================================================
select tests.authenticate_as('ana');
select is(pg_temp.tries($$select public.sync_pull(0, null)$$, 60), array[60, 0], 'a member pulls 60 times at once');
select is(pg_temp.tries($$select public.sync_push('{}', '00000000-0000-4000-8000-000000000001', 1)$$, 40),
  array[40, 0], '...and pushes 40 times: 100 requests, all through');
select throws_ok($$select public.sync_pull(0, null)$$, 'PGRST',
  '{"code": "rate_limited", "message": "Too many requests: try again in 1 s."}',
  'the 101st request is refused, with a message for the member');
select is(pg_temp.refusal($$select public.sync_pull(0, null)$$),
  '{"sqlstate": "PGRST", "message": {"code": "rate_limited", "message": "Too many requests: try again in 1 s."},
    "detail": {"status": 429, "headers": {"Retry-After": "1"}}}'::jsonb,
  'PostgREST answers it with HTTP 429 and Retry-After: 1 (the next token in 0.6 s, rounded up)');

-- a refused push writes nothing
select is(pg_temp.refusal(format($$select public.sync_push('{"daily_sessions": [{"id": "%s", "date": "%s",
    "morning_completed": true, "morning_updated_at": "2026-01-01T00:00:00Z"}]}', '00000000-0000-4000-8000-000000000002', 7)$$,
    gen_random_uuid(), current_date - 1)) ->> 'sqlstate', 'PGRST', 'a push with a day in it is refused');
select tests.clear_authentication();
select is((select count(*)::int from public.daily_sessions where user_id = :'ana'), 0, '...and no day was written');
select is((select count(*)::int from public.sync_ops where user_id = :'ana' and op_id = 7), 0, '...nor the op recorded');
select is((select tokens from private.rate_buckets where user_id = :'ana' and bucket = 'sync'), 0::double precision,
  'refusals take nothing: the bucket is at 0, not below');

-- =============================================================================================
-- Stranger: another member, another bucket
-- =============================================================================================
select tests.authenticate_as('bob');
select lives_ok($$select public.sync_pull(0, null)$$, 'another member is not held back by ana''s requests');
select throws_ok(format($$select private.take_rate_token('%s', 'sync')$$, :'ana'), '42501',
  'a member takes only their own rate tokens', 'a member cannot drain another member''s bucket');
select throws_ok($$select * from private.rate_buckets$$, '42501', 'permission denied for table rate_buckets',
  'a member cannot read the buckets');
select throws_ok(format($$update private.rate_buckets set tokens = 100 where user_id = '%s'$$, :'bob'), '42501',
  'permission denied for table rate_buckets', '...nor fill their own');
select throws_ok(format($$select public.take_rate_token('%s', 'sync')$$, :'bob'), '42501',
  'permission denied for function take_rate_token', '...nor call the service role''s function');
select tests.clear_authentication();

-- =============================================================================================
-- Anonymous
-- =============================================================================================
select tests.authenticate_as_anon();
select throws_ok($$select public.sync_pull(0, null)$$, '42501', 'permission denied for function sync_pull',
  'anonymous callers cannot pull (no bucket either)');
select throws_ok(format($$select public.take_rate_token('%s', 'functions')$$, :'ana'), '42501',
  'permission denied for function take_rate_token', 'nor take anyone''s tokens');
select tests.clear_authentication();
select is((select count(*)::int from private.rate_buckets where user_id not in (:'ana', :'bob')), 0,
  'no bucket for anyone else');

-- =============================================================================================
-- Refill, cap, other buckets, the service role
-- =============================================================================================
update private.rate_buckets set updated_at = updated_at - interval '30 seconds' where user_id = :'ana' and bucket = 'sync';
select tests.authenticate_as('ana');
select is(pg_temp.tries($$select public.sync_pull(0, null)$$, 60), array[50, 10],
  'half a minute later 50 tokens are back: 50 pulls go through, the rest are refused');
select tests.clear_authentication();

update private.rate_buckets set updated_at = updated_at - interval '1 hour' where user_id = :'ana' and bucket = 'sync';
select tests.authenticate_as('ana');
select is(pg_temp.tries($$select public.sync_pull(0, null)$$, 150), array[100, 50],
  'an hour later the bucket holds 100, not 6,000: a quiet member bursts 100 at most');
select tests.clear_authentication();

select tests.authenticate_as_service_role();
select is(public.take_rate_token(:'ana', 'functions'), 0::double precision,
  'ana''s empty sync bucket leaves her functions bucket alone (0: go on)');
select is(public.take_rate_token(:'ana', 'sync'), 0.6::double precision,
  'the service role reads the wait of an empty bucket: 0.6 s to the next token, nothing taken');
select throws_ok(format($$select public.take_rate_token('%s', 'uploads')$$, :'ana'), '22023',
  'no rate limit bucket ''uploads''', 'an unknown bucket is an error, not a free pass');
select throws_ok($$select public.take_rate_token(null, 'sync')$$, '22023', 'a rate limit needs a member',
  'a token needs a member');
select is((select array_agg(public.take_rate_token(:'bob', 'functions')) from generate_series(1, 101))::text,
  (select array_agg(case when i <= 100 then 0 else 0.6 end::double precision) from generate_series(1, 101) i)::text,
  'the functions bucket: 100 tokens, then 0.6 s to wait');
select tests.clear_authentication();

-- The limit is the operator's: a lower one applies at the next request, and the wait follows it.
update private.rate_limit_config set per_minute = 7 where bucket = 'sync';
update private.rate_buckets set tokens = 0 where user_id = :'ana' and bucket = 'sync';
select tests.authenticate_as('ana');
select is(pg_temp.refusal($$select public.sync_pull(0, null)$$),
  '{"sqlstate": "PGRST", "message": {"code": "rate_limited", "message": "Too many requests: try again in 9 s."},
    "detail": {"status": 429, "headers": {"Retry-After": "9"}}}'::jsonb,
  'at 7 a minute an empty bucket waits 60/7 = 8.6 s: Retry-After 9');
select tests.clear_authentication();
update private.rate_buckets set tokens = 0.5 where user_id = :'ana' and bucket = 'sync';
select tests.authenticate_as('ana');
select is(pg_temp.refusal($$select public.sync_pull(0, null)$$) -> 'detail', '{"status": 429, "headers": {"Retry-After": "5"}}'::jsonb,
  'half a token left waits 30/7 = 4.3 s: Retry-After 5');
select tests.clear_authentication();
update private.rate_buckets set updated_at = updated_at - interval '5 seconds' where user_id = :'ana' and bucket = 'sync';
select tests.authenticate_as('ana');
select is(pg_temp.tries($$select public.sync_pull(0, null)$$, 3), array[1, 2],
  'five seconds later the token is there: one pull goes through');
select tests.clear_authentication();
update private.rate_limit_config set per_minute = 100 where bucket = 'sync';

select throws_ok($$update private.rate_limit_config set per_minute = 0 where bucket = 'sync'$$, '23514', null,
  'a limit is at least 1 a minute (0 would refuse everything for ever)');

-- =============================================================================================
-- The nightly purge
-- =============================================================================================
update private.rate_buckets set updated_at = now() - interval '25 hours' where user_id = :'bob';
select is(public.purge_rate_buckets(), 2, 'the purge removes buckets untouched for a day (bob''s two)');
select is((select array_agg(bucket order by bucket) from private.rate_buckets where user_id = :'ana'),
  array['functions', 'sync'], '...and keeps the ones in use');
select is((select count(*)::int from private.rate_buckets where user_id = :'bob'), 0, 'bob starts full again');
select tests.authenticate_as('bob');
select is(pg_temp.tries($$select public.sync_pull(0, null)$$, 101), array[100, 1], '...with 100 tokens');
select tests.clear_authentication();

select * from finish();
rollback;
