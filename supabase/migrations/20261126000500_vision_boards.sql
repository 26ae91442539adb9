-- Vision board: up to 8 tiles per member, positions 1..8, one image each, optional caption.
-- A removed tile is a tombstone (deleted_at) so that other devices learn of it through sync.

-- =============================================
-- Tables
-- =============================================
create table public.vision_boards (
  id uuid primary key default gen_random_uuid(),  -- client-generated when synced
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  position smallint not null check (position between 1 and 8),
  -- object name in the vision-boards bucket; always inside the member's own folder
  image_path text not null constraint image_path_in_own_folder check (char_length(image_path) <= 1024 and image_path like user_id::text || '/%'),
  caption text check (char_length(caption) <= 200),
  deleted_at timestamptz,
  client_updated_at timestamptz,  -- client clock of the last edit (sync last-writer-wins)
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  change_xid xid8 not null default pg_current_xact_id(),
  unique (user_id, position)
);
create index vision_boards_change_xid_idx on public.vision_boards (user_id, change_xid);

-- =============================================
-- Triggers
-- =============================================
create trigger vision_boards_stamp before update on public.vision_boards
  for each row execute function private.stamp_change();

-- =============================================
-- Grants
-- =============================================
revoke all on public.vision_boards from public, anon, authenticated;
grant select on public.vision_boards to authenticated;
grant insert (id, user_id, position, image_path, caption, deleted_at, client_updated_at)
  on public.vision_boards to authenticated;
grant update (image_path, caption, deleted_at, client_updated_at) on public.vision_boards to authenticated;
grant all on public.vision_boards to service_role;

-- =============================================
-- Row level security
-- =============================================
alter table public.vision_boards enable row level security;

create policy "Members can read their own vision board" on public.vision_boards
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Members can add tiles to their own vision board" on public.vision_boards
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Members can change their own vision board" on public.vision_boards
  for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
