-- The audit log (migrations/20261202001000_audit_log.sql): written by the server (record_audit,
-- support_access, delete_member) and, for the one event only the app knows of, by the member
-- (record_own_audit: 'sessions_revoked'); each member reads only their own rows; the
-- 'account_deleted' row outlives the account; rows older than 2 years are purged.
begin;
select plan(53);

-- Inside this transaction (rolled back at the end) only this file's events exist.
delete from public.audit_log;

select tests.create_supabase_user(n) from unnest(array['ana', 'bob']) n;
select tests.get_supabase_uid('ana') as ana \gset
select tests.get_supabase_uid('bob') as bob \gset

-- =============================================================================================
-- The table and who may do what
-- =============================================================================================
select has_table('public', 'audit_log', 'the audit log has its table');
select col_is_pk('public', 'audit_log', 'id', 'each event its own id');
select hasnt_fk('public', 'audit_log', 'no foreign key: an event outlives the account it is about');
select table_privs_are('public', 'audit_log', 'authenticated', array['SELECT'], 'members read, never write');
select table_privs_are('public', 'audit_log', 'anon', array[]::text[], 'anonymous callers do nothing with it');
select policies_are('public', 'audit_log', array['Members can read their own audit log'], 'one policy: read one''s own');
select function_privs_are('public', 'record_audit', array['uuid', 'text', 'text', 'jsonb'], 'service_role', array['EXECUTE'],
  'the edge functions record events');
select function_privs_are('public', 'record_audit', array['uuid', 'text', 'text', 'jsonb'], 'authenticated', array[]::text[],
  'members cannot record any event they like');
select function_privs_are('public', 'record_own_audit', array['text', 'jsonb'], 'authenticated', array['EXECUTE'],
  'members record their own sign-outs');
select function_privs_are('public', 'record_own_audit', array['text', 'jsonb'], 'anon', array[]::text[],
  'anonymous callers cannot');
select function_privs_are('public', 'support_access', array['uuid', 'text', 'text'], 'service_role', array['EXECUTE'],
  'support looks through the service role');
select function_privs_are('public', 'support_access', array['uuid', 'text', 'text'], 'authenticated', array[]::text[],
  'members cannot look at accounts');
select is((select count(*)::int from pg_proc where proname = 'purge_audit_log'
            and (has_function_privilege('anon', oid, 'execute') or has_function_privilege('authenticated', oid, 'execute')
                 or has_function_privilege('service_role', oid, 'execute'))), 0,
  'the purge is pg_cron''s only');
select is((select count(*)::int from cron.job where jobname = 'purge-audit-log'), 1, 'and runs nightly');
select tests.rls_enabled('public');

-- =============================================================================================
-- The server records
-- =============================================================================================
select tests.authenticate_as_service_role();
select isnt(public.record_audit(:'ana', 'export_created', 'system', '{"bytes": 1234}'), null,
  'the export function records an export');
select lives_ok(format($$select public.record_audit('%s', 'export_downloaded', 'member')$$, :'ana'),
  '...and its download (detail defaults to {})');
select throws_ok(format($$select public.record_audit('%s', 'password_changed', 'member')$$, :'ana'), '23514', null,
  'an event outside the list is refused');
select throws_ok(format($$select public.record_audit('%s', 'export_created', 'hacker')$$, :'ana'), '23514', null,
  'an actor outside the list is refused');
select throws_ok(format($$select public.record_audit('%s', 'export_created', 'system', '[1]')$$, :'ana'), '23514', null,
  'a detail that is not an object is refused');
select tests.clear_authentication();

-- =============================================================================================
-- Owner
-- =============================================================================================
select tests.authenticate_as('ana');
select lives_ok($$select public.record_own_audit('sessions_revoked', '{"scope": "others"}')$$,
  'the app records that it signed the member''s other sessions out');
select results_eq($$select event, actor, detail from public.audit_log order by id$$,
  $$values ('export_created', 'system', '{"bytes": 1234}'::jsonb), ('export_downloaded', 'member', '{}'),
           ('sessions_revoked', 'member', '{"scope": "others"}')$$,
  'the member reads their activity');
select throws_ok($$select public.record_own_audit('export_created')$$, '22023',
  'a member records only ''sessions_revoked'', not ''export_created''', 'a member cannot record any other event');
select throws_ok($$select public.record_own_audit('account_deleted', '{}')$$, '22023', null,
  '...such as a deletion that never happened');
select throws_ok($$select public.record_own_audit('sessions_revoked', '"text"')$$, '22023',
  'the detail of an event is a JSON object of at most 2000 characters', 'a detail that is not an object is refused');
select throws_ok(format($$select public.record_own_audit('sessions_revoked', '{"x": "%s"}')$$, repeat('a', 2000)), '22023', null,
  'a detail over 2000 characters is refused');
select throws_ok(format($$insert into public.audit_log (user_id, event, actor) values ('%s', 'sessions_revoked', 'member')$$, :'ana'),
  '42501', 'permission denied for table audit_log', 'a member cannot write the log directly');
select throws_ok($$update public.audit_log set actor = 'system'$$, '42501', 'permission denied for table audit_log',
  '...nor change it');
select throws_ok($$delete from public.audit_log$$, '42501', 'permission denied for table audit_log', '...nor erase it');
select tests.clear_authentication();
select is((select count(*)::int from public.audit_log where user_id = :'ana'), 3, 'ana has three rows, no more');

-- =============================================================================================
-- Stranger
-- =============================================================================================
select tests.authenticate_as('bob');
select is_empty($$select * from public.audit_log$$, 'bob reads none of ana''s rows');
select lives_ok($$select public.record_own_audit('sessions_revoked')$$, 'bob records his own sign-out');
select results_eq($$select user_id, event, actor from public.audit_log$$,
  format($$values ('%s'::uuid, 'sessions_revoked', 'member')$$, :'bob'), '...about himself, whatever he might claim');
select tests.clear_authentication();

-- =============================================================================================
-- Anonymous
-- =============================================================================================
select tests.authenticate_as_anon();
select throws_ok($$select * from public.audit_log$$, '42501', 'permission denied for table audit_log',
  'anonymous callers cannot read the log');
select throws_ok($$select public.record_own_audit('sessions_revoked')$$, '42501',
  'permission denied for function record_own_audit', 'nor write it');
select tests.clear_authentication();

-- =============================================================================================
-- Support access
-- =============================================================================================
insert into public.affirmations (user_id, version, content) values (:'ana', 1, 'I keep my word to myself every single day');
insert into public.daily_sessions (user_id, date, morning_completed, recording_path, biggest_win)
values (:'ana', current_date - 1, true, :'ana' || '/secret-reading.ogg', 'Ran ten kilometres in the rain');
select tests.authenticate_as_service_role();
select throws_ok(format($$select public.support_access('%s', 'Sam', '  ')$$, :'ana'), '22023',
  'support access needs a reason', 'support cannot look without a reason');
select throws_ok(format($$select public.support_access('%s', '', 'ticket 12')$$, :'ana'), '22023',
  'support access needs the name of the staff member who looks', '...nor without saying who looks');
select throws_ok($$select public.support_access(gen_random_uuid(), 'Sam', 'ticket 12')$$, 'P0002', null,
  'an unknown member is an error');
select public.support_access(:'ana', 'Sam', ' ticket 12: cannot sign in ') as summary \gset
select is((:'summary'::jsonb -> 'counts'),
  '{"days": 1, "readings": 1, "last_day": null, "affirmation_versions": 1, "tiles": 0}'::jsonb
    || jsonb_build_object('last_day', current_date - 1),
  'the summary counts the days, readings, affirmation versions and tiles');
select is((:'summary'::jsonb ->> 'email'), 'ana@test.invalid', '...and names the account');
select ok(position('keep my word' in :'summary') = 0 and position('kilometres' in :'summary') = 0
          and position('secret-reading' in :'summary') = 0,
  '...without the affirmation, the win or the recording');
select tests.clear_authentication();
select results_eq(format($$select event, actor, detail from public.audit_log where user_id = '%s' order by id desc limit 1$$, :'ana'),
  $$values ('support_access', 'support', '{"staff": "Sam", "reason": "ticket 12: cannot sign in"}'::jsonb)$$,
  'every look is in the member''s log, with who and why');
select is((select count(*)::int from public.audit_log where event = 'support_access'), 1,
  'the refused looks left no row');

-- =============================================================================================
-- Export and deletion
-- =============================================================================================
select tests.authenticate_as('ana');
select is((select jsonb_agg(e -> 'event') from jsonb_array_elements(public.export_member(:'ana') -> 'audit_log') e),
  '["export_created", "export_downloaded", "sessions_revoked", "support_access"]'::jsonb,
  'the member''s export carries their activity');
select tests.clear_authentication();

insert into storage.objects (bucket_id, name, owner) values ('recordings', :'ana' || '/secret-reading.ogg', :'ana'),
                                                            ('exports', :'ana' || '/export-1.zip', :'ana');
select tests.authenticate_as_service_role();
select is((public.delete_member(:'ana') ->> 'deleted')::boolean, true, 'the account is deleted');
select is((public.delete_member(gen_random_uuid()) ->> 'deleted')::boolean, false, 'deleting no one deletes nothing');
select tests.clear_authentication();
select is((select count(*)::int from public.profiles where id = :'ana'), 0, 'ana''s profile is gone');
select is((select count(*)::int from private.rate_buckets where user_id = :'ana'), 0,
  '...and her rate buckets (no foreign key cascades there)');
select results_eq(format($$select event, actor, detail from public.audit_log where user_id = '%s' order by id desc limit 1$$, :'ana'),
  $$values ('account_deleted', 'member', '{"storage_objects": 2}'::jsonb)$$,
  'the deletion is recorded, with the objects it removed, and outlives the account');
select is((select count(*)::int from public.audit_log where event = 'account_deleted'), 1,
  'deleting someone who does not exist records nothing');

-- =============================================================================================
-- The purge: 2 years
-- =============================================================================================
update public.audit_log set at = now() - interval '2 years 1 day' where user_id = :'bob';
update public.audit_log set at = now() - interval '2 years' + interval '1 day'
 where user_id = :'ana' and event = 'export_created';
select is(public.purge_audit_log(), 1, 'rows older than 2 years are purged');
select is((select count(*)::int from public.audit_log where user_id = :'bob'), 0, '...bob''s old one');
select is((select count(*)::int from public.audit_log where user_id = :'ana'), 5, '...the younger ones stay');

select * from finish();
rollback;
