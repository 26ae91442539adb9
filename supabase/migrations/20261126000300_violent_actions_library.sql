-- The violent actions library: built-in suggestions, loaded by seed.sql.
-- Readable by signed-in members, writable only by service_role (docs/rules.md, plan defect 4: the plan left
-- it without RLS, so anyone holding the public key could rewrite it).

-- =============================================
-- Tables
-- =============================================
create table public.violent_actions_library (
  id uuid primary key default gen_random_uuid(),
  category text not null check (category in ('business', 'personal', 'relationship', 'health')),
  action text not null check (char_length(action) between 1 and 200),
  description text check (char_length(description) <= 1000),
  difficulty_level integer not null default 5 check (difficulty_level between 1 and 10),
  -- counted by the daily_sessions statistics trigger when a member marks the action done
  times_completed integer not null default 0 check (times_completed >= 0),
  created_at timestamptz not null default now()
);
create index violent_actions_library_category_idx on public.violent_actions_library (category, difficulty_level);

-- =============================================
-- Grants
-- =============================================
revoke all on public.violent_actions_library from public, anon, authenticated;
grant select on public.violent_actions_library to authenticated;
grant all on public.violent_actions_library to service_role;

-- =============================================
-- Row level security
-- =============================================
alter table public.violent_actions_library enable row level security;

create policy "Signed-in members can read the library" on public.violent_actions_library
  for select to authenticated using (true);
