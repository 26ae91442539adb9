-- Storage: private buckets with limits; per-member folders; upsert of the same day's recording.
begin;
select plan(24);

select tests.create_supabase_user('owner');
select tests.create_supabase_user('stranger');
select tests.get_supabase_uid('owner') as owner_id \gset

-- ---------- buckets ----------
select results_eq($$select id, public, file_size_limit from storage.buckets
                     where id in ('recordings', 'vision-boards', 'exports') order by id$$,
  $$values ('exports'::text, false, 52428800::bigint), ('recordings', false, 52428800), ('vision-boards', false, 10485760)$$,
  'the three buckets are private with size limits');
select ok((select 'audio/ogg' = any (allowed_mime_types) and not ('image/png' = any (allowed_mime_types))
             from storage.buckets where id = 'recordings'), 'recordings accept Ogg audio, not images');
select ok((select 'image/jpeg' = any (allowed_mime_types) and not ('audio/ogg' = any (allowed_mime_types))
             from storage.buckets where id = 'vision-boards'), 'vision boards accept images, not audio');
select ok((select 'application/json' = any (allowed_mime_types) from storage.buckets where id = 'exports'),
  'exports accept JSON');

-- ---------- the owner ----------
select tests.authenticate_as('owner');
select lives_ok(format($$insert into storage.objects (bucket_id, name, owner, metadata)
                        values ('recordings', '%s/2026-11-25-recording.ogg', auth.uid(), '{"size": 1000}')$$, :'owner_id'),
  'a member uploads a recording into their folder');
select lives_ok(format($$insert into storage.objects (bucket_id, name, owner, metadata)
                        values ('recordings', '%s/2026-11-25-recording.ogg', auth.uid(), '{"size": 2000}')
                        on conflict (bucket_id, name) do update set metadata = excluded.metadata$$, :'owner_id'),
  'recording the same day again overwrites the file (upsert)');
select is((select metadata ->> 'size' from storage.objects where name = :'owner_id' || '/2026-11-25-recording.ogg'),
  '2000', 'the upsert replaced the object');
select lives_ok(format($$insert into storage.objects (bucket_id, name, owner)
                        values ('vision-boards', '%s/tile-1.jpg', auth.uid())$$, :'owner_id'),
  'a member uploads a vision board image into their folder');
select throws_ok($$insert into storage.objects (bucket_id, name, owner) values ('recordings', 'loose.ogg', auth.uid())$$,
  '42501', 'new row violates row-level security policy for table "objects"',
  'a file outside any member folder is refused');
select throws_ok(format($$insert into storage.objects (bucket_id, name, owner) values ('exports', '%s/me.json', auth.uid())$$, :'owner_id'),
  '42501', 'new row violates row-level security policy for table "objects"',
  'members do not write exports (the server does)');
select throws_ok($$insert into storage.objects (bucket_id, name, owner) values ('other-bucket', 'x/y', auth.uid())$$,
  '42501', 'new row violates row-level security policy for table "objects"',
  'the policies cover only this app''s buckets');
select is((select count(*)::int from storage.objects), 2, 'the owner sees their own files');

-- ---------- another member ----------
select tests.authenticate_as('stranger');
select is_empty('select 1 from storage.objects', 'a stranger sees none of the owner''s files');
select throws_ok(format($$insert into storage.objects (bucket_id, name, owner)
                        values ('recordings', '%s/2026-11-25-recording.ogg', auth.uid())
                        on conflict (bucket_id, name) do update set metadata = '{"size": 1}'$$, :'owner_id'),
  '42501', 'new row violates row-level security policy for table "objects"',
  'a stranger cannot overwrite the owner''s recording');
select throws_ok(format($$insert into storage.objects (bucket_id, name, owner)
                        values ('vision-boards', '%s/evil.jpg', auth.uid())$$, :'owner_id'),
  '42501', 'new row violates row-level security policy for table "objects"',
  'a stranger cannot upload into the owner''s folder');
select is_empty($$update storage.objects set metadata = '{}' returning 1$$, 'a stranger cannot update the owner''s files');
select is_empty($$delete from storage.objects returning 1$$, 'a stranger cannot delete the owner''s files');

-- ---------- anonymous ----------
select tests.authenticate_as_anon();
select is_empty('select 1 from storage.objects', 'anon sees no files');
select throws_ok($$insert into storage.objects (bucket_id, name) values ('recordings', 'x/y.ogg')$$,
  '42501', 'new row violates row-level security policy for table "objects"', 'anon cannot upload');

-- ---------- service_role writes an export; the owner reads and deletes it ----------
select tests.authenticate_as_service_role();
select lives_ok(format($$insert into storage.objects (bucket_id, name) values ('exports', '%s/export.json')$$, :'owner_id'),
  'service_role writes exports');
select tests.authenticate_as('owner');
select is((select count(*)::int from storage.objects where bucket_id = 'exports'), 1, 'the owner reads their export');
select is((select count(*)::int from storage.objects where bucket_id = 'exports' and
           (storage.foldername(name))[1] = :'owner_id'), 1, 'files are found by folder');
select lives_ok($$delete from storage.objects where bucket_id = 'recordings'$$, 'the owner deletes a recording');
select is((select count(*)::int from storage.objects), 2, 'the recording is gone, the rest stays');

select * from finish();
rollback;
