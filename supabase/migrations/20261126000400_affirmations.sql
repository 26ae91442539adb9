-- Affirmations: versioned per member (1, 2, 3, ...), exactly one active version.
-- The server numbers versions (under a per-member lock), so two devices saving at once never
-- get the same number (docs/rules.md, plan defect 8: the plan computed "next version" racily in the client).
-- Content is immutable: editing creates a new version, which becomes the active one.

-- =============================================
-- Tables
-- =============================================
create table public.affirmations (
  id uuid primary key default gen_random_uuid(),  -- client-generated when synced
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  -- members must not be able to set this: assigned by trigger
  version integer not null check (version >= 1),
  content text not null check (char_length(content) between 1 and 20000),
  is_active boolean not null default true,
  client_updated_at timestamptz,  -- client clock of the last activation change (sync LWW)
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  change_xid xid8 not null default pg_current_xact_id(),
  unique (user_id, version)
);
-- at most one active version per member (the trigger keeps it at least one)
create unique index affirmations_one_active_idx on public.affirmations (user_id) where is_active;
create index affirmations_change_xid_idx on public.affirmations (user_id, change_xid);

-- =============================================
-- Triggers
-- =============================================
create or replace function private.affirmations_before_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- Serialises version numbering per member; READ COMMITTED gives the next statement a fresh
  -- snapshot, so max(version) below sees a concurrent save that committed first.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('affirmations:' || new.user_id::text, 0));
  select coalesce(max(a.version), 0) + 1 into new.version
    from public.affirmations a where a.user_id = new.user_id;
  -- the first version is always active; a new active version retires the previous one
  if not exists (select 1 from public.affirmations a where a.user_id = new.user_id and a.is_active) then
    new.is_active := true;
  elsif new.is_active then
    update public.affirmations a set is_active = false
     where a.user_id = new.user_id and a.is_active;
  end if;
  new.updated_at := now();
  new.change_xid := pg_catalog.pg_current_xact_id();
  return new;
end
$$;

create or replace function private.affirmations_before_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.content is distinct from old.content or new.version is distinct from old.version
     or new.user_id is distinct from old.user_id then
    raise exception 'affirmation versions are immutable: save a new version instead'
      using errcode = '22023';
  end if;
  if old.is_active and not new.is_active and pg_catalog.pg_trigger_depth() = 1 then
    -- depth 1 = a direct update; the retirement done by this trigger runs at depth 2
    raise exception 'one version must stay active: activate another version instead'
      using errcode = '22023';
  end if;
  if new.is_active and not old.is_active then
    update public.affirmations a set is_active = false
     where a.user_id = new.user_id and a.is_active and a.id <> new.id;
  end if;
  new.updated_at := now();
  new.change_xid := pg_catalog.pg_current_xact_id();
  return new;
end
$$;

create trigger affirmations_before_insert before insert on public.affirmations
  for each row execute function private.affirmations_before_insert();
create trigger affirmations_before_update before update on public.affirmations
  for each row execute function private.affirmations_before_update();

-- =============================================
-- Grants
-- =============================================
revoke all on public.affirmations from public, anon, authenticated;
grant select on public.affirmations to authenticated;
grant insert (id, user_id, content, is_active, client_updated_at) on public.affirmations to authenticated;
grant update (is_active, client_updated_at) on public.affirmations to authenticated;
grant all on public.affirmations to service_role;

-- =============================================
-- Row level security
-- =============================================
alter table public.affirmations enable row level security;

create policy "Members can read their own affirmations" on public.affirmations
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Members can add their own affirmations" on public.affirmations
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Members can activate their own affirmations" on public.affirmations
  for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
