-- The read-aloud check's quota (migrations/…_transcribe_quota.sql): 'transcribe_reading' is an AI
-- feature of its own, counted per member and UTC day like the others, given back on a
-- provider failure, readable by its member only, and spent only by the service role.
begin;
select plan(10);

-- Inside this transaction (rolled back at the end) only this file's members exist.
delete from auth.users;
select tests.create_supabase_user('reader');
select tests.create_supabase_user('other');
select tests.get_supabase_uid('reader') as reader_id \gset
select tests.get_supabase_uid('other') as other_id \gset

select tests.authenticate_as_service_role();
select is(array[public.consume_ai_quota(:'reader_id', 'transcribe_reading', 2),
                public.consume_ai_quota(:'reader_id', 'transcribe_reading', 2),
                public.consume_ai_quota(:'reader_id', 'transcribe_reading', 2)],
  array[true, true, false], 'a daily quota of 2 allows two transcriptions, refuses the third');
select is((select count from public.ai_usage where user_id = :'reader_id' and feature = 'transcribe_reading'), 2,
  'the refused call takes nothing');
select is((select day from public.ai_usage where user_id = :'reader_id' and feature = 'transcribe_reading'),
  (now() at time zone 'UTC')::date,
  'counted on the UTC day (20261202000500_hardening.sql)');
select ok(public.consume_ai_quota(:'reader_id', 'suggest_actions', 1),
  'the transcription quota is separate from the other AI features');
select ok(public.refund_ai_quota(:'reader_id', 'transcribe_reading'), 'a failed transcription gives the unit back');
select ok(public.consume_ai_quota(:'reader_id', 'transcribe_reading', 2), '...so the member can try again');
select throws_ok(format($$insert into public.ai_usage (user_id, day, feature) values ('%s', current_date, 'transcribe_everything')$$,
                        :'reader_id'),
  '23514', null, 'the feature list stays closed');

-- ---------- members ----------
select public.consume_ai_quota(:'other_id', 'transcribe_reading', 5);
select tests.authenticate_as('reader');
select results_eq($$select feature, count from public.ai_usage order by feature$$,
  $$values ('suggest_actions'::text, 1), ('transcribe_reading', 2)$$,
  'a member reads their own usage, nobody else''s');
select throws_ok(format($$select public.consume_ai_quota('%s', 'transcribe_reading', 100)$$, :'reader_id'), '42501',
  'permission denied for function consume_ai_quota', 'members cannot spend quota themselves');
select throws_ok(format($$select public.refund_ai_quota('%s', 'transcribe_reading')$$, :'reader_id'), '42501',
  'permission denied for function refund_ai_quota', '...nor give it back');

select * from finish();
rollback;
