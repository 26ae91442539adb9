-- Reminders that reach the member (20261202000100_push_reminders.sql): phones registered for
-- push, the senders' heartbeats, one channel per member in the queue, rows finalised at claim
-- ('skipped', 'expired'), the expiry and purge jobs, and a queue that does not grow.
begin;
select plan(103);

-- Inside this transaction (rolled back at the end) only this file's members and senders exist.
delete from auth.users;
delete from private.reminder_senders;

-- A member's settings row marked as last written long ago (change_xid 1), so that a later
-- touch (a new change_xid) shows; written with the stamp trigger off.
create function pg_temp.mark_settings_old(names text[]) returns void language plpgsql as $$
begin
  set local session_replication_role = replica;
  update public.user_settings set change_xid = '1' where id in (select tests.get_supabase_uid(n) from unnest(names) n);
  set local session_replication_role = origin;
end
$$;
create function pg_temp.touched(name text) returns boolean language sql as $$
  select change_xid <> '1' from public.user_settings where id = tests.get_supabase_uid(name)
$$;

-- =============================================================================================
-- The table and who may do what
-- =============================================================================================
select has_table('public', 'push_devices', 'phones registered for push have their table');
select col_is_pk('public', 'push_devices', array['user_id', 'subscription_id'], 'a registration is (member, subscription id)');
select col_is_unique('public', 'push_devices', array['subscription_id'], 'a phone belongs to one member at a time');
select fk_ok('public', 'push_devices', 'user_id', 'public', 'profiles', 'id', 'a registration belongs to a member');
select table_privs_are('public', 'push_devices', 'authenticated', array['SELECT', 'DELETE'],
  'members may read and remove registrations, never insert or update them directly');
select table_privs_are('public', 'push_devices', 'anon', array[]::text[], 'anonymous callers may do nothing with them');
select policies_are('public', 'push_devices',
  array['Members can read their own push devices', 'Members can remove their own push devices'],
  'two policies: read own, remove own');
select function_privs_are('public', 'register_push_device', array['text', 'text'], 'anon', array[]::text[],
  'anonymous callers cannot register a phone');
select function_privs_are('public', 'register_push_device', array['text', 'text'], 'authenticated', array['EXECUTE'],
  'members register their phones');
select function_privs_are('public', 'unregister_push_device', array['text'], 'anon', array[]::text[],
  'anonymous callers cannot unregister a phone');
select function_privs_are('public', 'forget_push_devices', array['uuid', 'text[]'], 'authenticated', array[]::text[],
  'members cannot forget registrations in bulk');
select function_privs_are('public', 'forget_push_devices', array['uuid', 'text[]'], 'service_role', array['EXECUTE'],
  'the push dispatcher can');
select function_privs_are('public', 'sender_heartbeat', array['text'], 'authenticated', array[]::text[],
  'members cannot pretend a sender is alive');
select function_privs_are('public', 'sender_heartbeat', array['text'], 'service_role', array['EXECUTE'],
  'the dispatchers report theirs');
select is((select count(*)::int from pg_proc
            where proname in ('expire_notifications', 'purge_notifications', 'queue_reminders')
              and (has_function_privilege('anon', oid, 'execute') or has_function_privilege('authenticated', oid, 'execute')
                   or has_function_privilege('service_role', oid, 'execute'))), 0,
  'the queue, expiry and purge jobs are pg_cron''s only');
select hasnt_function('public', 'claim_notifications', array['integer'],
  'no claim of every channel that would bypass the skip and expiry checks');

-- =============================================================================================
-- Registration: owner, stranger, anonymous
-- =============================================================================================
select tests.create_supabase_user(n) from unnest(array['ana', 'bob', 'cid']) n;
select pg_temp.mark_settings_old(array['ana', 'bob', 'cid']);

select tests.authenticate_as('ana');
select lives_ok($$select public.register_push_device('ana-phone-1', 'android')$$, 'a member registers their phone');
select results_eq($$select user_id, subscription_id, platform from public.push_devices$$,
  $$values (tests.get_supabase_uid('ana'), 'ana-phone-1', 'android')$$, '...and sees it, as theirs');
select tests.clear_authentication();
select ok(pg_temp.touched('ana'), 'a first phone touches the member''s settings row');

select pg_temp.mark_settings_old(array['ana']);
update public.push_devices set last_seen_at = '2001-01-01', created_at = '2001-01-01';
select tests.authenticate_as('ana');
select public.register_push_device('ana-phone-1', 'ios');
select public.register_push_device('Ana-Phone-2', 'android');
select tests.clear_authentication();
select results_eq($$select subscription_id, platform, last_seen_at, created_at from public.push_devices order by 1$$,
  $$values ('Ana-Phone-2', 'android', now(), now()), ('ana-phone-1', 'ios', now(), timestamptz '2001-01-01')$$,
  'registering again refreshes the phone (platform, last seen), keeps its first registration; a second phone is added');
select ok(not pg_temp.touched('ana'), '...neither touches the settings row: push was reachable already');

select tests.authenticate_as('bob');
select is_empty($$select 1 from public.push_devices$$, 'a stranger sees none of another member''s phones');
delete from public.push_devices where subscription_id = 'ana-phone-1';
select public.unregister_push_device('ana-phone-1');
select throws_ok(format($$insert into public.push_devices (user_id, subscription_id, platform) values (%L, 'bob-for-ana', 'ios')$$,
                        tests.get_supabase_uid('ana')),
  '42501', 'permission denied for table push_devices', 'a stranger cannot register a phone for another member');
select throws_ok($$insert into public.push_devices (subscription_id, platform) values ('bob-direct', 'ios')$$,
  '42501', 'permission denied for table push_devices', 'nor for themselves but through register_push_device');
select throws_ok($$update public.push_devices set user_id = auth.uid()$$,
  '42501', 'permission denied for table push_devices', 'nor take one over by an update');
select tests.clear_authentication();
select is((select count(*)::int from public.push_devices where user_id = tests.get_supabase_uid('ana')), 2,
  'the stranger''s delete and unregister left the owner''s phones alone');

select tests.authenticate_as_anon();
select throws_ok($$select public.register_push_device('anon-phone', 'ios')$$,
  '42501', 'permission denied for function register_push_device', 'anonymous callers cannot register');
select throws_ok($$select public.unregister_push_device('ana-phone-1')$$,
  '42501', 'permission denied for function unregister_push_device', '...nor unregister');
select throws_ok($$select * from public.push_devices$$,
  '42501', 'permission denied for table push_devices', '...nor read registrations');
select tests.clear_authentication();

-- bad input: refused with a clear message, nothing written
select tests.authenticate_as('cid');
select throws_ok($$select public.register_push_device('', 'ios')$$, '22023',
  'a push subscription id is 1 to 128 letters, digits or hyphens, not ''''', 'an empty subscription id is refused');
select throws_ok(format($$select public.register_push_device(%L, 'ios')$$, repeat('a', 129)), '22023', null,
  'a subscription id of 129 characters is refused');
select lives_ok(format($$select public.register_push_device(%L, 'ios')$$, repeat('a', 128)),
  'one of 128 is taken');
select throws_ok($$select public.register_push_device('id with space', 'ios')$$, '22023',
  'a push subscription id is 1 to 128 letters, digits or hyphens, not ''id with space''',
  'a subscription id with a space is refused');
select throws_ok($$select public.register_push_device('x'';drop table x;--', 'ios')$$, '22023', null,
  'a subscription id with quotes and semicolons is refused');
select throws_ok($$select public.register_push_device(null, 'ios')$$, '22023',
  'a push subscription id is 1 to 128 letters, digits or hyphens, not null', 'no subscription id is refused');
select throws_ok($$select public.register_push_device('cid-phone', 'windows')$$, '22023',
  'a phone registered for push is ''android'' or ''ios'', not ''windows''', 'a platform other than android or ios is refused');
select throws_ok($$select public.register_push_device('cid-phone', 'Android')$$, '22023', null,
  '...spelt exactly');
select throws_ok($$select public.register_push_device('cid-phone', null)$$, '22023',
  'a phone registered for push is ''android'' or ''ios'', not null', 'no platform is refused');
select tests.clear_authentication();
select is((select count(*)::int from public.push_devices where user_id = tests.get_supabase_uid('cid')), 1,
  'the refused calls wrote nothing (only the 128-character id is registered)');
select throws_ok($$insert into public.push_devices (user_id, subscription_id, platform)
                   select id, 'bad id', 'ios' from public.profiles limit 1$$, '23514', null,
  'the table refuses a malformed id whoever writes it');

-- the phone changes hands: ana signs out on it, bob signs in
select pg_temp.mark_settings_old(array['ana', 'bob']);
select tests.authenticate_as('bob');
select public.register_push_device('ana-phone-1', 'ios');
select results_eq($$select subscription_id from public.push_devices$$, $$values ('ana-phone-1')$$,
  'a phone registered by another member moves to them');
select tests.clear_authentication();
select results_eq($$select subscription_id from public.push_devices where user_id = tests.get_supabase_uid('ana')$$,
  $$values ('Ana-Phone-2')$$, '...and is no longer the previous owner''s');
select ok(pg_temp.touched('bob') and not pg_temp.touched('ana'),
  '...the new owner''s settings are touched (first phone), not the previous owner''s (another phone left)');

-- unregistering
select pg_temp.mark_settings_old(array['ana']);
select tests.authenticate_as('ana');
select public.unregister_push_device('Ana-Phone-2');
select is_empty($$select 1 from public.push_devices$$, 'a member unregisters their own phone');
select tests.clear_authentication();
select ok(pg_temp.touched('ana'), '...their last phone gone, their settings are touched');

-- forgetting (the push dispatcher, for ids OneSignal called invalid)
select tests.authenticate_as('bob');
select public.register_push_device('bob-phone-2', 'android');
select public.register_push_device('bob-phone-3', 'android');
select throws_ok(format($$select public.forget_push_devices(%L, null)$$, tests.get_supabase_uid('bob')),
  '42501', 'permission denied for function forget_push_devices', 'members cannot call forget_push_devices');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is(public.forget_push_devices(tests.get_supabase_uid('bob'), array['bob-phone-2', 'no-such-phone']), 1,
  'the dispatcher forgets the ids it names, and says how many');
select is(public.forget_push_devices(tests.get_supabase_uid('ana'), array['ana-phone-1']), 0,
  '...only the named member''s');
select is(public.forget_push_devices(tests.get_supabase_uid('bob'), null), 2, '...or all of a member''s');
select tests.clear_authentication();

-- account deletion removes the registrations
select tests.authenticate_as('ana');
select public.register_push_device('ana-phone-9', 'ios');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is((public.delete_member(tests.get_supabase_uid('ana')) ->> 'deleted')::boolean, true, 'a member deletes their account');
select tests.clear_authentication();
select is_empty($$select 1 from public.push_devices where subscription_id = 'ana-phone-9'$$,
  '...and their phones are registered no more');

-- =============================================================================================
-- Senders
-- =============================================================================================
select tests.authenticate_as('bob');
select throws_ok($$select public.sender_heartbeat('push')$$, '42501', 'permission denied for function sender_heartbeat',
  'members cannot send heartbeats');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select throws_ok($$select public.sender_heartbeat('sms')$$, '22023', 'a reminder sender is ''push'' or ''email'', not ''sms''',
  'an unknown channel is refused');
select public.sender_heartbeat('push');
select public.sender_heartbeat('email');
select tests.clear_authentication();
select results_eq($$select channel, seen_at from private.reminder_senders order by 1$$,
  $$values ('email'::text, now()), ('push', now())$$, 'a heartbeat records when the sender last said it can send');
update private.reminder_senders set seen_at = now() - interval '59 minutes' where channel = 'push';
update private.reminder_senders set seen_at = now() - interval '61 minutes' where channel = 'email';
select ok(private.sender_alive('push') and not private.sender_alive('email'),
  'a sender is alive while its last heartbeat is under an hour old');

-- =============================================================================================
-- sync_pull: the member's two server facts in `reach`, with every pull whatever its cursor
-- =============================================================================================
delete from private.reminder_senders;
select tests.create_supabase_user('syncer');
create function pg_temp.reach(since bigint default 0) returns jsonb language sql as $$
  select public.sync_pull(since) -> 'changes' -> 'reach'
$$;
-- a cursor past every row, this transaction's own included
create function pg_temp.past_every_row() returns bigint language sql as $$
  select pg_current_xact_id()::text::bigint + 1
$$;
create function pg_temp.rows_after(since bigint) returns bigint language sql as $$
  select sum(jsonb_array_length(v)) from jsonb_each(public.sync_pull(since) -> 'changes') e (k, v) where k <> 'reach'
$$;
select tests.authenticate_as('syncer');
select is(pg_temp.reach(), '[{"push_reachable": false, "email_reachable": false}]'::jsonb,
  'sync_pull: reach is one object; no sender alive, neither channel is reachable');
select tests.clear_authentication();
insert into private.reminder_senders (channel, seen_at) values ('push', now()), ('email', now());
select tests.authenticate_as('syncer');
select is(pg_temp.reach(), '[{"push_reachable": false, "email_reachable": true}]'::jsonb,
  '...senders alive: email reachable (the account has an address), push not (no phone)');
select public.register_push_device('syncer-phone', 'ios');
select is(pg_temp.reach(), '[{"push_reachable": true, "email_reachable": true}]'::jsonb,
  '...a phone registered: push reachable too');
select ok((public.sync_pull(0) -> 'changes' -> 'user_settings' -> 0) ?& array['push_notifications', 'email_reminders', 'theme']
          and not (public.sync_pull(0) -> 'changes' -> 'user_settings' -> 0) ?| array['push_reachable', 'email_reachable'],
  '...the settings row is the plain row: its own fields, no facts');
select is(pg_temp.rows_after(pg_temp.past_every_row()), 0::bigint, 'a pull with a cursor past every row brings no row');
select is(pg_temp.reach(pg_temp.past_every_row()), '[{"push_reachable": true, "email_reachable": true}]'::jsonb,
  '...but still reach');
select tests.clear_authentication();
update private.reminder_senders set seen_at = now() - interval '61 minutes' where channel = 'push';
select tests.authenticate_as('syncer');
select is(pg_temp.rows_after(pg_temp.past_every_row()), 0::bigint, 'the push sender going quiet changes no row of the member');
select is(pg_temp.reach(pg_temp.past_every_row()), '[{"push_reachable": false, "email_reachable": true}]'::jsonb,
  '...yet the pull past every row says push is unreachable now');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select public.sender_heartbeat('push');
select tests.clear_authentication();
select tests.authenticate_as('syncer');
select is(pg_temp.reach(pg_temp.past_every_row()), '[{"push_reachable": true, "email_reachable": true}]'::jsonb,
  '...and reachable again once the sender is back');
select tests.clear_authentication();
update public.profiles set email = null where id = tests.get_supabase_uid('syncer');
update private.reminder_senders set seen_at = now() - interval '61 minutes' where channel = 'push';
select tests.authenticate_as('syncer');
select is(pg_temp.reach(), '[{"push_reachable": false, "email_reachable": false}]'::jsonb,
  '...no address: email unreachable; the push sender quiet for over an hour: push unreachable');
select tests.clear_authentication();

-- =============================================================================================
-- The queue: one channel per member
-- =============================================================================================
-- Everyone at 07:00 UTC, subscribed, morning and evening reminders on (the defaults).
delete from auth.users;
select tests.create_supabase_user(n) from unnest(array['phone', 'mail', 'mute', 'phone_mail', 'pushoff_phone',
  'noaddress', 'trial_over', 'pastdue_over', 'pastdue_trial', 'cancelled_trial', 'done', 'morning_off']) n;
update public.profiles set timezone = 'UTC', morning_protocol_time = '07:00', evening_review_time = '20:00',
                           subscription_status = 'active';
update public.user_settings set email_reminders = true
 where id in (select tests.get_supabase_uid(n) from unnest(array['mail', 'phone_mail', 'pushoff_phone', 'noaddress',
                                                                 'trial_over', 'pastdue_over']) n);
update public.user_settings set push_notifications = false
 where id in (tests.get_supabase_uid('pushoff_phone'), tests.get_supabase_uid('noaddress'));
update public.profiles set email = null where id = tests.get_supabase_uid('noaddress');
update public.profiles set subscription_status = 'trial', trial_ends_at = '2026-06-01' where id = tests.get_supabase_uid('trial_over');
update public.profiles set subscription_status = 'past_due', trial_ends_at = '2026-06-01' where id = tests.get_supabase_uid('pastdue_over');
update public.profiles set subscription_status = 'past_due', trial_ends_at = '2026-07-01' where id = tests.get_supabase_uid('pastdue_trial');
update public.profiles set subscription_status = 'cancelled', trial_ends_at = '2026-07-01' where id = tests.get_supabase_uid('cancelled_trial');
update public.user_settings set morning_reminder = false where id = tests.get_supabase_uid('morning_off');
insert into public.daily_sessions (user_id, date, morning_completed)
select tests.get_supabase_uid('done'), d::date, true from generate_series(date '2026-06-10', date '2026-06-13', interval '1 day') d;
-- phones (as the app registers them)
insert into public.push_devices (user_id, subscription_id, platform)
select tests.get_supabase_uid(n), replace(n, '_', '-') || '-phone', 'android'
  from unnest(array['phone', 'phone_mail', 'pushoff_phone', 'noaddress', 'trial_over', 'pastdue_over', 'pastdue_trial',
                    'cancelled_trial', 'done', 'morning_off']) n;

create temp view queued as
  select u.raw_user_meta_data ->> 'test_identifier' as who, q.kind, q.channel, q.protocol_day
    from public.notification_queue q join auth.users u on u.id = q.user_id;

-- no sender alive (both heartbeats over an hour old): nothing at all
update private.reminder_senders set seen_at = now() - interval '2 hours';
select is(public.queue_reminders('2026-06-10 07:05+00'), 0, 'while no sender is alive, nothing is queued');
select is_empty($$select 1 from public.notification_queue$$, '...nothing at all');

-- both alive
update private.reminder_senders set seen_at = now();
select results_eq($$select public.queue_reminders('2026-06-10 07:05+00')$$, array[6], 'both senders alive: six reminders');
select results_eq($$select who, channel from queued where protocol_day = '2026-06-10' order by 1$$,
  $$values ('cancelled_trial', 'push'), ('mail', 'email'), ('pastdue_trial', 'push'), ('phone', 'push'),
           ('phone_mail', 'push'), ('pushoff_phone', 'email')$$,
  'push where push is on and a phone is registered, else email where it is on and there is an address; one channel each');
select is((select count(*)::int from public.notification_queue group by user_id, kind, protocol_day order by 1 desc limit 1), 1,
  'never two channels for one member''s part of the day');
select is_empty($$select 1 from queued where who in ('mute', 'noaddress')$$,
  'nothing for a member whose push is on without a phone and email off, nor for email without an address');
select is_empty($$select 1 from queued where who in ('trial_over', 'pastdue_over')$$,
  'nothing for a member behind the paywall: trial over, or past_due after the trial (the app paywalls them)');
select is_empty($$select 1 from queued where who in ('done', 'morning_off')$$,
  'nothing for a part already done, or switched off');

-- only the push sender alive: email members get nothing, push members still push
update private.reminder_senders set seen_at = now() - interval '2 hours' where channel = 'email';
select is(public.queue_reminders('2026-06-11 07:05+00'), 4, 'only the push sender alive: four reminders');
select results_eq($$select who, channel from queued where protocol_day = '2026-06-11' order by 1$$,
  $$values ('cancelled_trial', 'push'), ('pastdue_trial', 'push'), ('phone', 'push'), ('phone_mail', 'push')$$,
  '...all of them push; nothing queued for email, which cannot send');

-- only the email sender alive: members with a phone and email on fall back to email
update private.reminder_senders set seen_at = now();
update private.reminder_senders set seen_at = now() - interval '2 hours' where channel = 'push';
select is(public.queue_reminders('2026-06-12 07:05+00'), 3, 'only the email sender alive: three reminders');
select results_eq($$select who, channel from queued where protocol_day = '2026-06-12' order by 1$$,
  $$values ('mail', 'email'), ('phone_mail', 'email'), ('pushoff_phone', 'email')$$,
  '...by email, for the members who have it on; nothing queued for push, which cannot send');

-- a channel that changes after a reminder went out does not remind twice
update private.reminder_senders set seen_at = now();
insert into public.push_devices (user_id, subscription_id, platform) values (tests.get_supabase_uid('mail'), 'mail-phone', 'ios');
select public.queue_reminders('2026-06-12 07:10+00');
select results_eq($$select who, channel from queued where who in ('mail', 'phone_mail') and protocol_day = '2026-06-12' order by 1$$,
  $$values ('mail', 'email'), ('phone_mail', 'email')$$,
  'a member reminded by email whose channel is now push (a phone registered, the push sender back) is not reminded again by push');
select is(public.queue_reminders('2026-06-13 07:05+00'), 6, 'the next day, the phone counts: six reminders');
select results_eq($$select channel from queued where who = 'mail' and protocol_day = '2026-06-13'$$, array['push'],
  '...push for the member who registered it');

-- =============================================================================================
-- Claiming: skipped, expired, push ids, idempotency keys
-- =============================================================================================
delete from public.notification_queue;
insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for)
values (tests.get_supabase_uid('phone'), 'morning_reminder', 'push', '2026-12-01', 'chrisapp://open/morning', now() - interval '1 minute'),
       (tests.get_supabase_uid('phone_mail'), 'morning_reminder', 'push', '2026-12-01', 'chrisapp://open/morning', now() - interval '2 minutes'),
       (tests.get_supabase_uid('done'), 'morning_reminder', 'push', '2026-12-01', 'chrisapp://open/morning', now() - interval '3 minutes'),
       (tests.get_supabase_uid('done'), 'evening_reminder', 'push', '2026-11-30', 'chrisapp://open/evening', now() - interval '2 hours 1 second'),
       (tests.get_supabase_uid('pastdue_trial'), 'evening_reminder', 'push', '2026-11-30', 'chrisapp://open/evening', now() - interval '2 hours'),
       (tests.get_supabase_uid('mail'), 'morning_reminder', 'email', '2026-12-01', 'chrisapp://open/morning', now() - interval '1 minute'),
       (tests.get_supabase_uid('cancelled_trial'), 'morning_reminder', 'push', '2026-12-01', 'chrisapp://open/morning', now() + interval '1 minute');
-- 'done' did the morning after it was queued
insert into public.daily_sessions (user_id, date, morning_completed) values (tests.get_supabase_uid('done'), '2026-12-01', true);
insert into public.push_devices (user_id, subscription_id, platform) values (tests.get_supabase_uid('phone'), 'phone-tablet', 'ios');

select tests.authenticate_as('phone');
select throws_ok($$select * from public.claim_notifications_for('push', 10)$$, '42501',
  'permission denied for function claim_notifications_for', 'members cannot claim reminders');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select throws_ok($$select * from public.claim_notifications_for('sms', 10)$$, '22023',
  'a reminder channel is ''push'' or ''email'', not ''sms''', 'an unknown channel is refused');
create temp table first_claim as select * from public.claim_notifications_for('push', 1);
select results_eq($$select user_id, kind from first_claim$$,
  $$values (tests.get_supabase_uid('pastdue_trial'), 'evening_reminder'::text)$$,
  'a claim of one: the rows before it that must not be sent do not use up the limit (exactly 2 hours late is still sent)');
create temp table claimed as select * from public.claim_notifications_for('push', 10);
select tests.clear_authentication();
select results_eq($$select user_id, push_ids from claimed order by 1$$,
  $$select tests.get_supabase_uid(n), ids from (values ('phone', array['phone-phone', 'phone-tablet']),
                                                          ('phone_mail', array['phone-mail-phone'])) v (n, ids) order by 1$$,
  'the push claim returns the due push rows with each member''s registered subscription ids');
select results_eq($$select u.raw_user_meta_data ->> 'test_identifier', q.kind, q.status from public.notification_queue q
                     join auth.users u on u.id = q.user_id where q.channel = 'push' order by 1, 2$$,
  $$values ('cancelled_trial', 'morning_reminder', 'pending'), ('done', 'evening_reminder', 'expired'),
           ('done', 'morning_reminder', 'skipped'), ('pastdue_trial', 'evening_reminder', 'sending'),
           ('phone', 'morning_reminder', 'sending'), ('phone_mail', 'morning_reminder', 'sending')$$,
  'a part done since it was queued is skipped, a row over 2 hours late expired, a future one left for later');
select is((select attempts from public.notification_queue where status in ('skipped', 'expired') group by attempts), 0,
  '...and neither counts as an attempt');
select tests.authenticate_as_service_role();
create temp table email_claim as select * from public.claim_notifications_for('email', 10);
select results_eq($$select user_id, channel, push_ids, email from email_claim$$,
  $$values (tests.get_supabase_uid('mail'), 'email'::text, '{}'::text[], 'mail@test.invalid'::text)$$,
  'the email claim returns the email rows, with the address and no push ids');
select is((select count(*)::int from claimed c join public.notification_queue q using (id)
            where c.idempotency_key = q.idempotency_key), 2, 'each claimed row carries its idempotency key');
select is((select count(distinct idempotency_key)::int from public.notification_queue), 7, '...one of its own');
select public.finish_notification(id, false, 'OneSignal 503') from claimed;
select is((select count(*)::int from public.claim_notifications_for('push', 10) c join claimed k using (id)
            where c.idempotency_key = k.idempotency_key and c.attempts = 2), 2,
  'a retried row comes back with the same key (and its second attempt)');
select is((select count(*)::int from public.claim_notifications_for('push', 10)), 0, 'a second claim gets none of them');
select tests.clear_authentication();

-- the 15-minute expiry job, for rows no dispatcher claims
delete from public.notification_queue;
insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link, scheduled_for, status, claimed_at)
values (tests.get_supabase_uid('phone'), 'morning_reminder', 'push', '2026-06-01', 'chrisapp://open/morning', '2026-06-01 07:00+00', 'pending', null),
       (tests.get_supabase_uid('phone'), 'evening_reminder', 'push', '2026-06-01', 'chrisapp://open/evening', '2026-06-01 20:00+00', 'pending', null),
       (tests.get_supabase_uid('mail'), 'morning_reminder', 'email', '2026-06-01', 'chrisapp://open/morning', '2026-06-01 07:00+00', 'sending', '2026-06-01 09:55+00'),
       (tests.get_supabase_uid('mail'), 'evening_reminder', 'email', '2026-06-01', 'chrisapp://open/evening', '2026-06-01 07:00+00', 'sending', '2026-06-01 09:45+00'),
       (tests.get_supabase_uid('phone_mail'), 'morning_reminder', 'push', '2026-06-01', 'chrisapp://open/morning', '2026-06-01 07:00+00', 'sent', '2026-06-01 07:01+00');
select is(public.expire_notifications('2026-06-01 10:00+00'), 2, 'the expiry job expires rows over 2 hours late');
select results_eq($$select kind, channel, status from public.notification_queue order by user_id = tests.get_supabase_uid('phone') desc, 2, 1$$,
  $$values ('evening_reminder', 'push', 'pending'), ('morning_reminder', 'push', 'expired'),
           ('evening_reminder', 'email', 'expired'), ('morning_reminder', 'email', 'sending'),
           ('morning_reminder', 'push', 'sent')$$,
  '...pending, or claimed over 10 minutes ago by a dispatcher that vanished; not one in a dispatcher''s hands, nor a sent one');
select is((select count(*)::int from cron.job where jobname = 'expire-notifications'
             and schedule = '*/15 * * * *' and command = 'select public.expire_notifications()'), 1,
  'pg_cron runs it every 15 minutes');

-- the nightly purge: every final state, 30 days after it was due
update public.notification_queue set status = 'failed' where status = 'sending';
update public.notification_queue set status = 'skipped' where kind = 'evening_reminder' and channel = 'push';
select is(public.purge_notifications('2026-07-01 06:59+00'), 0, 'the purge keeps rows for 30 days after they were due');
select is(public.purge_notifications('2026-07-01 07:01+00'), 4, 'then removes the sent, failed, expired ...');
select is(public.purge_notifications('2026-07-01 20:01+00'), 1, '...and skipped ones');
select is((select count(*)::int from cron.job where jobname = 'purge-notifications' and command = 'select public.purge_notifications()'), 1,
  'pg_cron runs the purge nightly');

-- =============================================================================================
-- The queue does not grow
-- =============================================================================================
-- 45 simulated days, both senders alive, nobody dispatching: each day the job's two slots,
-- the expiry job after them, the purge at night. A member with push on and no phone (email
-- off) has nothing queued, ever; a member with a phone is reminded every day and their rows
-- expire, then go after 30 days.
delete from public.notification_queue;
delete from auth.users where id not in (tests.get_supabase_uid('phone'), tests.get_supabase_uid('mute'));
create temp table sizes (day integer, mute integer, phone integer);
do $$
declare
  d integer;
  base timestamptz := '2026-06-01 00:00+00';
begin
  for d in 0 .. 44 loop
    perform public.queue_reminders(base + make_interval(days => d, hours => 7, mins => 5));
    perform public.queue_reminders(base + make_interval(days => d, hours => 20, mins => 5));
    perform public.expire_notifications(base + make_interval(days => d, hours => 23));
    perform public.purge_notifications(base + make_interval(days => d, hours => 3, mins => 27));
    insert into sizes select d,
      (select count(*) from public.notification_queue where user_id = tests.get_supabase_uid('mute')),
      (select count(*) from public.notification_queue where user_id = tests.get_supabase_uid('phone'));
  end loop;
end
$$;
select is((select max(mute) from sizes), 0, 'a member without a phone and without email gets no row on any day');
select is((select phone from sizes where day = 10), 22, 'a member with a phone: two rows a day at first');
select is((select max(phone) from sizes), 62, '...never more than 31 days of them');
select is((select phone from sizes where day = 44), 62, '...the oldest purged as new ones come');
select is((select count(*)::int from public.notification_queue where status <> 'expired'), 0,
  '...every one of them expired (no dispatcher ran)');

select * from finish();
rollback;
