-- Operator metrics (migrations/20261202001100_operator_metrics.sql): only the service role runs
-- the operator functions (members and anonymous callers get "permission denied" for each);
-- Stripe prices recorded by the webhook; the subscription history kept by a trigger on
-- profiles. The figures themselves, on made-up data with exact expected values:
-- tests/db/test_db_operator_metrics.py.
begin;
select plan(33);

-- Inside this transaction (rolled back at the end) only this file's prices exist.
delete from public.stripe_prices;

select tests.create_supabase_user(n) from unnest(array['ana', 'bob']) n;
select tests.get_supabase_uid('ana') as ana \gset
select tests.get_supabase_uid('bob') as bob \gset

-- =============================================================================================
-- Objects and privileges
-- =============================================================================================
select has_table('public', 'stripe_prices', 'Stripe prices have their table');
select has_table('private', 'subscription_history', 'so does the subscription history');
select table_privs_are('public', 'stripe_prices', 'authenticated', array[]::text[], 'members cannot touch prices');
select table_privs_are('public', 'stripe_prices', 'anon', array[]::text[], 'nor can anonymous callers');
select policies_are('public', 'stripe_prices', array[]::text[], 'no policy: no member row access at all');
select table_privs_are('private', 'subscription_history', 'authenticated', array[]::text[], 'members cannot read the history');
select tests.rls_enabled('public');

-- Every operator function, as a member and anonymously: permission denied.
create function pg_temp.operator_calls() returns table (fn text, stmt text) language sql as $$
  values ('operator_metrics', 'select public.operator_metrics()'),
         ('record_stripe_price', $q$select public.record_stripe_price('price_x', 100, 'eur', 'month', 1)$q$),
         ('support_access', $q$select public.support_access(gen_random_uuid(), 'me', 'curious')$q$),
         ('record_audit', $q$select public.record_audit(gen_random_uuid(), 'account_deleted', 'system')$q$),
         ('take_rate_token', $q$select public.take_rate_token(gen_random_uuid(), 'sync')$q$)
$$;
grant execute on function pg_temp.operator_calls() to authenticated, anon;

select tests.authenticate_as('ana');
select throws_ok(c.stmt, '42501', 'permission denied for function ' || c.fn, 'a member cannot run ' || c.fn)
  from pg_temp.operator_calls() c;
select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok(c.stmt, '42501', 'permission denied for function ' || c.fn, 'anonymous callers cannot run ' || c.fn)
  from pg_temp.operator_calls() c;
select tests.clear_authentication();
select function_privs_are('public', 'operator_metrics', array['date'], 'service_role', array['EXECUTE'],
  'the service role reads the metrics');

-- =============================================================================================
-- Prices
-- =============================================================================================
select tests.authenticate_as_service_role();
select lives_ok($$select public.record_stripe_price('price_year', 9999, 'EUR', 'year', 1)$$, 'the webhook records a price');
select lives_ok($$select public.record_stripe_price('price_year', 10999, 'eur', 'year', 1)$$, '...and its new amount');
select results_eq($$select price_id, unit_amount, currency, recurring_interval, interval_count from public.stripe_prices$$,
  $$values ('price_year', 10999::bigint, 'eur', 'year', 1)$$, 'one row per price, the currency in lower case');
select lives_ok($$select public.record_stripe_price('price_once', 5000, 'usd', null, null)$$, 'a one-off price has no interval');
select throws_ok($$select public.record_stripe_price('price_bad', 100, 'euro', 'month', 1)$$, '22023', null,
  'a currency is three letters');
select throws_ok($$select public.record_stripe_price('price_bad', -1, 'eur', 'month', 1)$$, '22023', null,
  'an amount is not negative');
select throws_ok($$select public.record_stripe_price('price_bad', 100, 'eur', 'fortnight', 1)$$, '22023', null,
  'an interval is day, week, month or year');
select throws_ok($$select public.record_stripe_price('price_bad', 100, 'eur', 'month', 0)$$, '22023', null,
  'an interval count is at least 1');
select tests.clear_authentication();

-- =============================================================================================
-- The subscription history
-- =============================================================================================
select results_eq(format($$select status, at from private.subscription_history where user_id = '%s'$$, :'ana'),
  format($$select 'trial'::text, created_at from public.profiles where id = '%s'$$, :'ana'),
  'a sign-up starts the history: trial, since the profile was made');
select tests.authenticate_as_service_role();
select is(public.apply_stripe_subscription('evt_1', 'customer.subscription.created', '2026-11-20 10:00+00', :'ana',
                                           'cus_ana', 'sub_ana', 'active', 'price_year'), 'applied', 'ana subscribes');
select is(public.apply_stripe_subscription('evt_2', 'customer.subscription.updated', '2026-11-21 10:00+00', null,
                                           'cus_ana', null, 'active'), 'applied', 'an update that keeps her active');
select is(public.apply_stripe_subscription('evt_0', 'customer.subscription.updated', '2026-11-19 10:00+00', null,
                                           'cus_ana', null, 'cancelled'), 'stale', 'an older event arriving late');
select is(public.apply_stripe_subscription('evt_3', 'customer.subscription.deleted', '2026-11-28 10:00+00', null,
                                           'cus_ana', null, 'cancelled'), 'applied', 'she cancels');
select tests.clear_authentication();
select results_eq(format($$select status, at from private.subscription_history where user_id = '%s' and status <> 'trial' order by id$$, :'ana'),
  $$values ('active', '2026-11-20 10:00+00'::timestamptz), ('cancelled', '2026-11-28 10:00+00')$$,
  'each change of status once, dated by its Stripe event; no row for the same status or a stale event');
select is((select count(*)::int from private.subscription_history where user_id = :'bob'), 1, 'bob''s history is his own');

select * from finish();
rollback;
