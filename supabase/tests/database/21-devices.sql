-- Devices (migrations/20261202000900_devices.sql): a pull records the device's platform and app
-- version on the member's last_seen row (a bad value stored as null, never a failed pull);
-- my_devices lists the caller's own devices, newest first; no member writes another's rows.
begin;
select plan(32);

select tests.create_supabase_user(n) from unnest(array['ana', 'bob']) n;
select tests.get_supabase_uid('ana') as ana \gset
select tests.get_supabase_uid('bob') as bob \gset

-- =============================================================================================
-- The functions and who may call them
-- =============================================================================================
select has_function('public', 'sync_pull', array['bigint', 'uuid', 'text', 'text'], 'the pull takes platform and app version');
select hasnt_function('public', 'sync_pull', array['bigint', 'uuid'],
  'the two-argument pull is gone (one candidate for every call PostgREST makes)');
select function_privs_are('public', 'sync_pull', array['bigint', 'uuid', 'text', 'text'], 'authenticated', array['EXECUTE'],
  'members pull');
select function_privs_are('public', 'sync_pull', array['bigint', 'uuid', 'text', 'text'], 'anon', array[]::text[],
  'anonymous callers do not');
select function_privs_are('public', 'my_devices', array[]::text[], 'authenticated', array['EXECUTE'], 'members list their devices');
select function_privs_are('public', 'my_devices', array[]::text[], 'anon', array[]::text[], 'anonymous callers cannot');
select policies_are('public', 'last_seen',
  array['Members can read their own devices', 'Members can record their own devices', 'Members can update their own devices'],
  'last_seen: read, record and update one''s own rows, nothing else');
select tests.rls_enabled('public');

-- =============================================================================================
-- Owner
-- =============================================================================================
select tests.authenticate_as('ana');
select lives_ok($$select public.sync_pull(0, 'a0000000-0000-4000-8000-000000000001', 'android', '1.4.0')$$,
  'a phone pulls with its platform and version');
select results_eq($$select client_id, platform, app_version, seen_at from public.my_devices()$$,
  $$values ('a0000000-0000-4000-8000-000000000001'::uuid, 'android', '1.4.0', now())$$,
  'my_devices shows it, seen now');
select lives_ok($$select public.sync_pull(since => 0, client_id => 'a0000000-0000-4000-8000-000000000002',
                                          platform => 'web', app_version => '2.0.0-rc.1+7')$$,
  'a browser pulls with named arguments, as PostgREST calls it');
select lives_ok($$select public.sync_pull(0, 'a0000000-0000-4000-8000-000000000001', 'android', '1.5.0')$$,
  'the phone again, updated');
select results_eq($$select client_id, platform, app_version from public.my_devices() order by client_id$$,
  $$values ('a0000000-0000-4000-8000-000000000001'::uuid, 'android', '1.5.0'),
           ('a0000000-0000-4000-8000-000000000002'::uuid, 'web', '2.0.0-rc.1+7')$$,
  'one row per device, with its latest version');

-- bad values: the pull goes on, the label is null
select is((public.sync_pull(0, 'a0000000-0000-4000-8000-000000000003', 'symbian', '1.0; drop table x') -> 'changes'),
          (public.sync_pull(0, null) -> 'changes'),
  'a pull with an unknown platform and a malformed version returns what any pull returns');
select results_eq($$select platform, app_version from public.my_devices() where client_id = 'a0000000-0000-4000-8000-000000000003'$$,
  $$values (null::text, null::text)$$, '...and the device is listed without them');
select lives_ok($$select public.sync_pull(0, 'a0000000-0000-4000-8000-000000000004', 'ios', repeat('9', 41))$$,
  'a version of 41 characters does not fail the pull');
select results_eq($$select platform, app_version from public.my_devices() where client_id = 'a0000000-0000-4000-8000-000000000004'$$,
  $$values ('ios', null::text)$$, '...the platform is kept, the version is not');
select lives_ok($$select public.sync_pull(0, 'a0000000-0000-4000-8000-000000000001', 'Android', '')$$,
  'a platform in capitals and an empty version do not fail the pull');
select results_eq($$select platform, app_version from public.my_devices() where client_id = 'a0000000-0000-4000-8000-000000000001'$$,
  $$values (null::text, null::text)$$, '...they are stored as null: the label is what the last pull said');
select is((select count(*)::int from public.my_devices()), 4, 'a pull without a client id adds no device');
select throws_ok($$insert into public.last_seen (client_id, platform) values (gen_random_uuid(), 'symbian')$$, '23514',
  'new row for relation "last_seen" violates check constraint "last_seen_platform_known"',
  'a direct write of an unknown platform is refused');
select throws_ok($$update public.last_seen set app_version = '1 0' where client_id = 'a0000000-0000-4000-8000-000000000002'$$, '23514',
  'new row for relation "last_seen" violates check constraint "last_seen_app_version_format"',
  '...and of a malformed version');
select tests.clear_authentication();

-- newest first
set local session_replication_role = replica;  -- seen_at as given (the stamp trigger off)
update public.last_seen set seen_at = now() - (client_id::text::uuid = 'a0000000-0000-4000-8000-000000000002')::int * interval '1 day'
                                            - (client_id::text::uuid = 'a0000000-0000-4000-8000-000000000004')::int * interval '1 hour'
 where user_id = :'ana';
set local session_replication_role = origin;
select tests.authenticate_as('ana');
select results_eq($$select client_id from public.my_devices()$$,
  $$values ('a0000000-0000-4000-8000-000000000001'::uuid), ('a0000000-0000-4000-8000-000000000003'::uuid),
           ('a0000000-0000-4000-8000-000000000004'::uuid), ('a0000000-0000-4000-8000-000000000002'::uuid)$$,
  'newest first (ties in client id order)');
select tests.clear_authentication();

-- =============================================================================================
-- Stranger: a forged device row for another member
-- =============================================================================================
select tests.authenticate_as('bob');
select is_empty($$select * from public.my_devices()$$, 'bob sees none of ana''s devices');
select is_empty($$select * from public.last_seen$$, '...nor through the table');
select throws_ok(format($$insert into public.last_seen (user_id, client_id, platform) values ('%s', gen_random_uuid(), 'linux')$$, :'ana'),
  '42501', 'new row violates row-level security policy for table "last_seen"',
  'bob cannot record a device for ana');
select lives_ok($$update public.last_seen set platform = 'linux', app_version = '6.6.6'$$, 'bob''s update of every row runs...');
select lives_ok($$select public.sync_pull(0, 'a0000000-0000-4000-8000-000000000002', 'windows', '9.9')$$,
  'bob pulls with ana''s browser''s client id');
select results_eq($$select client_id, platform, app_version from public.my_devices()$$,
  $$values ('a0000000-0000-4000-8000-000000000002'::uuid, 'windows', '9.9')$$, '...which becomes a device of bob''s own');
select tests.clear_authentication();
select results_eq(format($$select platform, app_version from public.last_seen where user_id = '%s' order by client_id$$, :'ana'),
  $$values (null::text, null::text), ('web', '2.0.0-rc.1+7'), (null, null), ('ios', null)$$,
  'ana''s devices are as she left them');

-- =============================================================================================
-- Anonymous
-- =============================================================================================
select tests.authenticate_as_anon();
select throws_ok($$select * from public.my_devices()$$, '42501', 'permission denied for function my_devices',
  'anonymous callers cannot list devices');
select throws_ok($$insert into public.last_seen (user_id, client_id) values (gen_random_uuid(), gen_random_uuid())$$, '42501',
  'permission denied for table last_seen', 'nor record one');
select tests.clear_authentication();

select * from finish();
rollback;
