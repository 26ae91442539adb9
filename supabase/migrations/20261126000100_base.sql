-- Base: extensions, the private schema, and helpers every later migration uses.
-- Supabase grants EXECUTE on new functions in public to anon/authenticated by default;
-- each function below states who may call it.

-- =============================================
-- Extensions
-- =============================================
-- pg_cron lives in pg_catalog on Supabase (see their pg_cron docs).
create extension if not exists pg_cron with schema pg_catalog;

-- =============================================
-- Private schema: internal state not exposed through the API (PostgREST serves `public` only)
-- =============================================
create schema if not exists private;
revoke all on schema private from public;

-- =============================================
-- Helpers
-- =============================================

-- Valid IANA zone names only: abbreviations ('PST') and POSIX strings ('UTC+3'), which
-- AT TIME ZONE would accept, are rejected, because the Python client (zoneinfo) cannot use them.
-- Reads the zone directory, so callers use it only when a timezone actually changes.
create or replace function public.is_valid_timezone(tz text)
returns boolean
language sql
stable
set search_path = ''
as $$
  select tz is not null and exists (select 1 from pg_catalog.pg_timezone_names where name = tz)
$$;
grant execute on function public.is_valid_timezone(text) to anon, authenticated, service_role;

-- The protocol day (docs/rules.md#protocol-day): the local calendar date of (instant - day_start).
-- Subtracting from the local wall-clock timestamp (not the instant) keeps the boundary at
-- day_start o'clock on the member's clock across DST changes, as the Python client does.
create or replace function public.protocol_day(instant timestamptz, tz text, day_start_hour integer)
returns date
language sql
stable
set search_path = ''
as $$
  select ((instant at time zone tz) - make_interval(hours => day_start_hour))::date
$$;
grant execute on function public.protocol_day(timestamptz, text, integer) to anon, authenticated, service_role;

-- updated_at is the server's clock, set on every write (the plan never updated it).
create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- Every synced row remembers the transaction that last wrote it: sync_pull's cursor is a
-- transaction id horizon (see 20261126001100_sync.sql), never a clock.
create or replace function private.stamp_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  new.change_xid := pg_catalog.pg_current_xact_id();
  return new;
end
$$;

-- Private functions are for triggers and jobs; nobody calls them through the API.
revoke all on all functions in schema private from public;
alter default privileges in schema private revoke execute on functions from public;
