-- Realtime publishes the member's profile row and nothing else of the public schema.
begin;
select plan(3);

select ok(exists (select 1 from pg_publication where pubname = 'supabase_realtime'),
  'the supabase_realtime publication exists');
select ok(exists (select 1 from pg_publication_tables
                   where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'profiles'),
  'profiles changes are published to Realtime (live streak and stats)');
select is((select array_agg(tablename::text order by tablename) from pg_publication_tables
            where pubname = 'supabase_realtime' and schemaname = 'public'), array['profiles'],
  'no other member table is published (they sync through sync_pull)');

select * from finish();
rollback;
