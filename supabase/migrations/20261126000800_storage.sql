-- Storage: three private buckets, one folder per member ({user_id}/...), size and MIME limits.
-- The Storage API enforces file_size_limit and allowed_mime_types on upload; the policies below
-- decide who reaches which object. A member may overwrite their own file (upsert: re-recording
-- the same day, docs/rules.md, plan defect 7), never anyone else's. Exports are written by the server
-- (service_role); members read and delete theirs.

-- =============================================
-- Buckets
-- =============================================
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values
  ('recordings', 'recordings', false, 50 * 1024 * 1024,
   array['audio/ogg', 'audio/opus', 'audio/webm', 'audio/wav', 'audio/x-wav', 'audio/mp4',
         'audio/aac', 'audio/mpeg']),
  ('vision-boards', 'vision-boards', false, 10 * 1024 * 1024,
   array['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/heic']),
  ('exports', 'exports', false, 50 * 1024 * 1024,
   array['application/json', 'application/zip', 'text/csv', 'application/pdf'])
on conflict (id) do update
  set public = excluded.public, file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;

-- =============================================
-- Policies on storage.objects
-- =============================================
-- (select auth.uid()) is evaluated once per statement, not once per row (Supabase's advice).
create policy "Members can read their own files" on storage.objects
  for select to authenticated
  using (bucket_id in ('recordings', 'vision-boards', 'exports')
         and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "Members can upload into their own folder" on storage.objects
  for insert to authenticated
  with check (bucket_id in ('recordings', 'vision-boards')
              and (storage.foldername(name))[1] = (select auth.uid())::text);

-- Upsert (x-upsert: true) needs this besides insert and select.
create policy "Members can replace their own files" on storage.objects
  for update to authenticated
  using (bucket_id in ('recordings', 'vision-boards')
         and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id in ('recordings', 'vision-boards')
              and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "Members can delete their own files" on storage.objects
  for delete to authenticated
  using (bucket_id in ('recordings', 'vision-boards', 'exports')
         and (storage.foldername(name))[1] = (select auth.uid())::text);
