-- Test-only stand-in for the Supabase platform pieces the migrations rely on.
-- NEVER part of supabase/migrations: on a hosted project these objects already exist.
-- Mirrors (in reduced form) supabase/postgres init-scripts/00000000000000-initial-schema.sql
-- (roles, default privileges), supabase/auth 20240624145325_recreate_auth_functions.up.sql
-- (auth.uid/role/email/jwt) and supabase/storage tenant migrations 0002-storage-schema.sql and
-- later (storage.buckets/objects, storage.foldername/filename/extension).

-- ============ roles (as in supabase/postgres initial schema) ============
create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit;
grant anon, authenticated, service_role to authenticator;
create role supabase_auth_admin noinherit createrole login;
create role supabase_storage_admin noinherit createrole login;

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
create extension if not exists pgtap with schema extensions;

grant usage on schema public to postgres, anon, authenticated, service_role;
-- Supabase grants everything in public to the API roles by default; migrations must revoke
-- what they do not want exposed. Mirroring this keeps the tests honest.
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;

-- ============ auth ============
create schema auth authorization supabase_auth_admin;
grant usage on schema auth to anon, authenticated, service_role;

create table auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  phone text unique default null,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
alter table auth.users owner to supabase_auth_admin;
alter table auth.users enable row level security;

create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
create or replace function auth.role() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
create or replace function auth.email() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;
grant all on auth.users to postgres;

-- ============ storage ============
create schema storage authorization supabase_storage_admin;
grant usage on schema storage to postgres, anon, authenticated, service_role;

create table storage.buckets (
  id text not null primary key,
  name text not null,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  owner_id text
);
create unique index bname on storage.buckets using btree (name);

create table storage.objects (
  id uuid not null default gen_random_uuid() primary key,
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  owner_id text,
  user_metadata jsonb
);
create unique index bucketid_objname on storage.objects using btree (bucket_id, name);
create index name_prefix_search on storage.objects (name text_pattern_ops);
alter table storage.objects enable row level security;
alter table storage.buckets enable row level security;

create or replace function storage.foldername(name text) returns text[] language plpgsql as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end
$$;
create or replace function storage.filename(name text) returns text language plpgsql as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$$;
create or replace function storage.extension(name text) returns text language plpgsql as $$
declare
  _parts text[];
  _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;
grant all on storage.buckets to anon, authenticated, service_role, postgres;
grant all on storage.objects to anon, authenticated, service_role, postgres;

-- ============ test helpers (after usebasejump/supabase-test-helpers) ============
create schema tests;
grant usage on schema tests to anon, authenticated, service_role;

-- Creates a confirmed auth user (the sign-up trigger then makes the profile); returns its id.
create or replace function tests.create_supabase_user(identifier text, email text default null,
                                                     metadata jsonb default '{}'::jsonb)
returns uuid language plpgsql security definer set search_path = '' as $$
declare
  user_id uuid := gen_random_uuid();
begin
  insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, email_confirmed_at)
  values (user_id, 'authenticated', 'authenticated', coalesce(email, identifier || '@test.invalid'),
          jsonb_build_object('test_identifier', identifier) || metadata, '{}'::jsonb, now());
  return user_id;
end
$$;

create or replace function tests.get_supabase_uid(identifier text) returns uuid
language sql stable security definer set search_path = '' as $$
  select id from auth.users where raw_user_meta_data ->> 'test_identifier' = identifier
$$;

-- Emulates a PostgREST request by that member (role + JWT claims, local to the transaction).
create or replace function tests.authenticate_as(identifier text) returns void
language plpgsql as $$
declare
  uid uuid := tests.get_supabase_uid(identifier);
begin
  if uid is null then
    raise exception 'test user % not found', identifier;
  end if;
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims',
    json_build_object('sub', uid, 'role', 'authenticated', 'email', identifier || '@test.invalid')::text, true);
end
$$;

create or replace function tests.authenticate_as_anon() returns void language plpgsql as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', '{"role":"anon"}', true);
end
$$;

create or replace function tests.authenticate_as_service_role() returns void language plpgsql as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
end
$$;

create or replace function tests.clear_authentication() returns void language plpgsql as $$
begin
  perform set_config('role', 'postgres', true);
  perform set_config('request.jwt.claims', null, true);
end
$$;

create or replace function tests.rls_enabled(testing_schema text) returns text
language sql as $$
  select is(
    (select count(pc.relname)::integer
       from pg_class pc
       join pg_namespace pn on pn.oid = pc.relnamespace and pn.nspname = testing_schema
      where pc.relkind = 'r' and not pc.relrowsecurity),
    0,
    format('every table in schema %s has row level security enabled', testing_schema))
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;
revoke execute on function tests.create_supabase_user(text, text, jsonb) from anon, authenticated, service_role;
