-- The reminder job: each member's local time, their settings and subscription, never twice
-- (channels, senders and the claim's checks in detail: 13-push-reminders.sql).
begin;
select plan(18);

-- Inside this transaction (rolled back at the end) only this file's members exist, so the
-- counts the jobs return are about them, whatever else the database holds.
delete from auth.users;

select tests.create_supabase_user(n) from unnest(array['paris', 'newyork', 'off', 'expired', 'done',
                                                          'emailonly', 'late', 'active']) n;
update public.profiles set timezone = 'Europe/Paris', morning_protocol_time = '05:30', evening_review_time = '20:00'
 where id in (tests.get_supabase_uid('paris'), tests.get_supabase_uid('off'), tests.get_supabase_uid('expired'),
              tests.get_supabase_uid('done'), tests.get_supabase_uid('emailonly'));
update public.profiles set timezone = 'America/New_York', morning_protocol_time = '05:44'
 where id = tests.get_supabase_uid('newyork');
update public.profiles set timezone = 'UTC', evening_review_time = '23:50', morning_protocol_time = '07:00'
 where id = tests.get_supabase_uid('late');
update public.profiles set timezone = 'Europe/Paris', morning_protocol_time = '05:45', subscription_status = 'active',
       trial_ends_at = '2026-01-01' where id = tests.get_supabase_uid('active');
update public.user_settings set morning_reminder = false where id = tests.get_supabase_uid('off');
update public.profiles set trial_ends_at = '2026-01-01' where id = tests.get_supabase_uid('expired');
update public.user_settings set push_notifications = false, email_reminders = true where id = tests.get_supabase_uid('emailonly');
insert into public.daily_sessions (user_id, date, morning_completed)
values (tests.get_supabase_uid('done'), '2026-06-10', true);
-- a phone registered for push by every member but 'emailonly'; both senders alive
insert into public.push_devices (user_id, subscription_id, platform)
select id, 'phone-' || member_number, 'android' from public.profiles where id <> tests.get_supabase_uid('emailonly');
delete from private.reminder_senders;
insert into private.reminder_senders (channel, seen_at) values ('push', now()), ('email', now());

-- 03:30 UTC = 05:30 in Paris (CEST); 23:30 the day before in New York
select is(public.queue_reminders('2026-06-10 03:30+00'), 2, 'two reminders are due in the 05:30 Paris slot');
select results_eq($$select u.raw_user_meta_data ->> 'test_identifier', q.kind, q.channel, q.protocol_day, q.deep_link
                     from public.notification_queue q join auth.users u on u.id = q.user_id order by 1$$,
  $$values ('emailonly', 'morning_reminder', 'email', date '2026-06-10', 'chrisapp://open/morning'),
           ('paris', 'morning_reminder', 'push', date '2026-06-10', 'chrisapp://open/morning')$$,
  'Paris members get their morning reminder on their chosen channel; opted out, expired trial and already done do not');
select is(public.queue_reminders('2026-06-10 03:30+00'), 0, 'running the job again queues nothing twice');
select is(public.queue_reminders('2026-06-10 03:44:59+00'), 0, 'nor does a later run in the same slot');
select is(public.queue_reminders('2026-06-10 03:45+00'), 1, 'the next slot (05:45 Paris) has the active subscriber');
select is((select count(*)::int from public.notification_queue where user_id = tests.get_supabase_uid('active')), 1,
  'an active subscriber is reminded after the trial date');

-- 09:30 UTC = 05:30 in New York (EDT): 05:44 is inside the 05:30-05:45 slot
select is(public.queue_reminders('2026-06-10 09:30+00'), 1, 'New York gets its reminder at its own 05:30 slot');
select is((select protocol_day from public.notification_queue where user_id = tests.get_supabase_uid('newyork')),
  date '2026-06-10', 'for New York''s protocol day');

-- evenings; 23:45 slot wraps past midnight
select is(public.queue_reminders('2026-06-10 18:00+00'), 5,
  'the 20:00 Paris evening reminders are queued (morning reminder off does not stop the evening one)');
update public.daily_sessions set evening_completed = true where user_id = tests.get_supabase_uid('done');
select is((select count(*)::int from public.notification_queue
            where user_id = tests.get_supabase_uid('done') and kind = 'evening_reminder'), 1,
  'a member who did the morning still gets the evening reminder');
select is(public.queue_reminders('2026-06-10 23:45+00'), 1, 'the 23:45-24:00 slot finds a 23:50 reminder');

-- the dispatchers' side, as if the reminders were due now (a claim expires rows 2 hours late)
update public.notification_queue set scheduled_for = now() - interval '1 minute';
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.claim_notifications_for('push', 100)), 7,
  'the push dispatcher claims the due push reminders; the evening a member did since it was queued is skipped');
select is((select count(*)::int from public.claim_notifications_for('email', 100)), 2,
  'the email dispatcher claims the email ones');
select is((select count(*)::int from public.claim_notifications_for('push', 100))
          + (select count(*)::int from public.claim_notifications_for('email', 100)), 0,
  'a second dispatcher gets none of them');
select public.finish_notification(id, true) from public.notification_queue where kind = 'morning_reminder';
select public.finish_notification(id, false, 'push token expired') from public.notification_queue where kind = 'evening_reminder';
select results_eq($$select status, count(*)::int from public.notification_queue group by status order by status$$,
  $$values ('pending'::text, 5), ('sent', 4), ('skipped', 1)$$, 'delivered ones are sent, failed ones wait for a retry');
select tests.clear_authentication();

-- members cannot run the jobs
select tests.authenticate_as('paris');
select throws_ok($$select public.queue_reminders()$$, '42501', 'permission denied for function queue_reminders',
  'members cannot run the reminder job');
select throws_ok($$select public.refresh_stale_stats()$$, '42501', 'permission denied for function refresh_stale_stats',
  'members cannot run the statistics job');
select tests.clear_authentication();

select ok((select prosrc !~* '\mloop\M' from pg_proc where proname = 'queue_reminders'),
  'the reminder job is one set-based statement, no per-member loop');

select * from finish();
rollback;
