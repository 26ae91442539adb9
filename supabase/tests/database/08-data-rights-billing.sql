-- Data rights (export, complete deletion), the Stripe subscription writer, the AI quota.
begin;
select plan(28);

-- Inside this transaction (rolled back at the end) only this file's members exist, so the
-- counts the jobs return are about them, whatever else the database holds.
delete from auth.users;
delete from public.stripe_events_processed;

select tests.create_supabase_user('owner');
select tests.create_supabase_user('stranger');
select tests.get_supabase_uid('owner') as owner_id \gset
select tests.get_supabase_uid('stranger') as stranger_id \gset
select member_number as owner_number from public.profiles where id = :'owner_id' \gset

insert into public.daily_sessions (user_id, date, morning_completed, discipline_rating)
values (:'owner_id', current_date - 1, true, 9), (:'owner_id', current_date - 2, true, null);
insert into public.affirmations (user_id, content) values (:'owner_id', 'I finish what I start.');
insert into public.vision_boards (user_id, position, image_path) values (:'owner_id', 1, :'owner_id' || '/1.jpg');
insert into storage.objects (bucket_id, name) values
  ('recordings', :'owner_id' || '/2026-11-20-recording.ogg'), ('vision-boards', :'owner_id' || '/1.jpg'),
  ('recordings', :'stranger_id' || '/2026-11-20-recording.ogg');
insert into public.ai_usage (user_id, day, feature, count) values (:'owner_id', current_date, 'suggest_actions', 1);
insert into public.last_seen (user_id, client_id) values (:'owner_id', gen_random_uuid());
insert into public.sync_ops (user_id, client_id, op_id) values (:'owner_id', gen_random_uuid(), 1);
insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
values (:'owner_id', 'morning_reminder', 'push', current_date, 'chrisapp://open/morning', now());
update public.profiles set leaderboard_opt_in = true where id = :'owner_id';

-- ---------- export ----------
select tests.authenticate_as('owner');
select public.export_member(:'owner_id') as export \gset
select is(jsonb_array_length(:'export'::jsonb -> 'daily_sessions'), 2, 'a member exports their sessions');
select is(:'export'::jsonb -> 'affirmations' -> 0 ->> 'content', 'I finish what I start.', '...their affirmations');
select is(jsonb_array_length(:'export'::jsonb -> 'files'), 2, '...and the list of their files, nobody else''s');
select is(:'export'::jsonb -> 'profile' ->> 'id', :'owner_id', '...and their profile');
select throws_ok(format($$select public.export_member('%s')$$, :'stranger_id'), '42501',
  'members can export only their own data', 'a member cannot export another member');
select throws_ok(format($$select public.delete_member('%s')$$, :'owner_id'), '42501',
  'permission denied for function delete_member', 'a member cannot call delete_member');
select tests.authenticate_as_anon();
select throws_ok(format($$select public.export_member('%s')$$, :'owner_id'), '42501',
  'permission denied for function export_member', 'anon cannot export');
select tests.authenticate_as_service_role();
select is(jsonb_array_length(public.export_member(:'owner_id') -> 'daily_sessions'), 2, 'service_role exports any member');

-- ---------- complete deletion ----------
select public.delete_member(:'owner_id') as deleted \gset
select set_eq(format($$select o.bucket || ':' || o.name
                          from jsonb_to_recordset('%s'::jsonb -> 'storage_objects') as o (bucket text, name text)$$, :'deleted'),
  array['recordings:' || :'owner_id' || '/2026-11-20-recording.ogg', 'vision-boards:' || :'owner_id' || '/1.jpg'],
  'delete_member removes and reports the member''s storage objects');
select tests.clear_authentication();
select is((select count(*)::int from auth.users where id = :'owner_id'), 0, 'the auth user is gone');
select is((select count(*)::int from storage.objects where name like :'owner_id' || '/%'), 0, 'their files are gone');
select is((select count(*)::int from storage.objects where name like :'stranger_id' || '/%'), 1, 'other members'' files stay');
select is(
  (select count(*)::int from (
     select user_id from public.daily_sessions union all select user_id from public.affirmations
     union all select user_id from public.vision_boards union all select user_id from public.ai_usage
     union all select user_id from public.last_seen union all select user_id from public.sync_ops
     union all select user_id from public.notification_queue union all select user_id from public.leaderboard
     union all select user_id from private.completion_runs union all select user_id from private.member_stats_state
     union all select id from public.profiles union all select id from public.user_settings) t
   where t.user_id = :'owner_id'), 0,
  'no row of the member is left in any table');
select tests.create_supabase_user('newcomer');
select cmp_ok((select member_number from public.profiles where id = tests.get_supabase_uid('newcomer')),
  '>', (select max(member_number) from public.profiles where id <> tests.get_supabase_uid('newcomer')),
  'member numbers are never reused');
select cmp_ok((select member_number from public.profiles where id = tests.get_supabase_uid('newcomer')),
  '>', :owner_number::bigint, '...not even a deleted member''s');

-- ---------- Stripe subscription writer ----------
select tests.authenticate_as('stranger');
select throws_ok($$select public.apply_stripe_subscription('evt_x', 'x', now())$$, '42501',
  'permission denied for function apply_stripe_subscription', 'members cannot call the subscription writer');
select tests.authenticate_as_service_role();
select is(public.apply_stripe_subscription('evt_1', 'checkout.session.completed', '2026-11-20 10:00+00',
            p_user_id => :'stranger_id', p_customer_id => 'cus_1', p_subscription_id => 'sub_1', p_status => 'active'),
  'applied', 'checkout.session.completed links the Stripe customer to the member');
select is(public.apply_stripe_subscription('evt_1', 'checkout.session.completed', '2026-11-20 10:00+00',
            p_user_id => :'stranger_id', p_customer_id => 'cus_1', p_status => 'active'),
  'duplicate', 'a redelivered event has no second effect');
select is(public.apply_stripe_subscription('evt_2', 'invoice.payment_failed', '2026-12-20 10:00+00',
            p_customer_id => 'cus_1', p_status => 'past_due'),
  'applied', 'a failed payment, found by customer id');
select is(public.apply_stripe_subscription('evt_3', 'customer.subscription.updated', '2026-12-01 10:00+00',
            p_customer_id => 'cus_1', p_status => 'active'),
  'stale', 'an older event delivered late does not override a newer one');
select results_eq(format($$select subscription_status, stripe_customer_id, stripe_subscription_id
                            from public.profiles where id = '%s'$$, :'stranger_id'),
  $$values ('past_due'::text, 'cus_1'::text, 'sub_1'::text)$$, 'the member is past_due');
select is(public.apply_stripe_subscription('evt_4', 'customer.subscription.deleted', '2026-12-30 10:00+00',
            p_customer_id => 'cus_1', p_status => 'cancelled'), 'applied', 'cancellation applies');
select results_eq(format($$select subscription_status, subscription_ends_at from public.profiles where id = '%s'$$, :'stranger_id'),
  $$values ('cancelled'::text, '2026-12-30 10:00+00'::timestamptz)$$, 'the member is cancelled from the event time');
select is(public.apply_stripe_subscription('evt_5', 'invoice.paid', '2026-12-30 11:00+00', p_customer_id => 'cus_unknown'),
  'unknown_member', 'an event for an unknown customer is recorded, nothing changes');
select is((select count(*)::int from public.stripe_events_processed), 5, 'every event id is recorded once');

-- ---------- AI quota ----------
select is(array[public.consume_ai_quota(:'stranger_id', 'generate_affirmations', 2),
                public.consume_ai_quota(:'stranger_id', 'generate_affirmations', 2),
                public.consume_ai_quota(:'stranger_id', 'generate_affirmations', 2)],
  array[true, true, false], 'a daily quota of 2 allows two calls, refuses the third');
select is((select count from public.ai_usage where user_id = :'stranger_id'), 2, 'a refused call takes nothing');
select tests.authenticate_as('stranger');
select throws_ok(format($$select public.consume_ai_quota('%s', 'suggest_actions', 100)$$, :'stranger_id'), '42501',
  'permission denied for function consume_ai_quota', 'members cannot spend quota themselves');

select * from finish();
rollback;
