-- Realtime: a member's own profile row (current and longest streak, completion rate, rating,
-- score, subscription status) reaches their signed-in devices as it changes, through Supabase
-- Realtime's postgres_changes (the app's ProfileWatcher, docs/sync.md). Realtime checks every
-- change against the row level security of the subscriber, so a member only ever receives
-- their own row (policy "Members can read their own profile"). Only profiles is published: member data in other
-- tables reaches devices through sync_pull.
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;  -- hosted projects have it; a bare cluster does not
  end if;
  if not exists (select 1 from pg_publication_tables
                  where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'profiles') then
    alter publication supabase_realtime add table public.profiles;
  end if;
end
$$;
