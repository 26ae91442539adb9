-- Daily sessions: one row per member per protocol day, morning and evening halves.
-- The row's fields fall in two groups, each with the client clock of its last edit, so that a
-- device that did the morning and another that did the evening of the same day both keep
-- their fields when they sync (see sync_push). A completed day = morning_completed.

-- =============================================
-- Tables
-- =============================================
create table public.daily_sessions (
  id uuid primary key default gen_random_uuid(),  -- client-generated
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  date date not null,  -- the protocol day (docs/rules.md#protocol-day), as the client computed it

  -- morning group
  morning_completed boolean not null default false,
  morning_completed_at timestamptz,
  -- object name in the recordings bucket; always inside the member's own folder
  recording_path text constraint recording_path_in_own_folder check (char_length(recording_path) <= 1024 and recording_path like user_id::text || '/%'),
  recording_duration_ms integer check (recording_duration_ms between 0 and 3600000),
  recording_sha256 text check (recording_sha256 ~ '^[0-9a-f]{64}$'),
  affirmations_version integer check (affirmations_version >= 1),
  vision_board_viewed boolean not null default false,
  violent_action text check (char_length(violent_action) <= 500),
  violent_action_id uuid references public.violent_actions_library (id) on delete set null,
  violent_action_set_at timestamptz,
  morning_updated_at timestamptz,  -- client clock of the last edit of the morning group

  -- evening group
  action_completed boolean,
  evening_completed boolean not null default false,
  evening_completed_at timestamptz,
  discipline_rating smallint check (discipline_rating between 1 and 10),
  biggest_win text check (char_length(biggest_win) <= 2000),
  evening_updated_at timestamptz,  -- client clock of the last edit of the evening group

  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  change_xid xid8 not null default pg_current_xact_id(),
  unique (user_id, date)  -- also the index for every per-member date range query
);
create index daily_sessions_change_xid_idx on public.daily_sessions (user_id, change_xid);

-- =============================================
-- Triggers
-- =============================================
create or replace function private.daily_sessions_before_write()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and (new.user_id is distinct from old.user_id or new.date is distinct from old.date
                           or new.id is distinct from old.id) then
    raise exception 'a session''s member and date cannot change' using errcode = '22023';
  end if;
  -- no protocol day is later than tomorrow in UTC anywhere on earth; far dates would also
  -- make the score arithmetic meaningless
  if new.date > (now() at time zone 'UTC')::date + 1 or new.date < date '2000-01-01' then
    raise exception 'session date % is out of range', new.date using errcode = '22008';
  end if;
  new.updated_at := now();
  new.change_xid := pg_catalog.pg_current_xact_id();
  return new;
end
$$;

create trigger daily_sessions_before_write before insert or update on public.daily_sessions
  for each row execute function private.daily_sessions_before_write();

-- =============================================
-- Grants
-- =============================================
revoke all on public.daily_sessions from public, anon, authenticated;
-- no delete: a day once synced is history (other devices could never learn of a deletion);
-- removing a member's data is delete_member's job
grant select on public.daily_sessions to authenticated;
grant insert (id, user_id, date,
              morning_completed, morning_completed_at, recording_path, recording_duration_ms,
              recording_sha256, affirmations_version, vision_board_viewed, violent_action,
              violent_action_id, violent_action_set_at, morning_updated_at,
              action_completed, evening_completed, evening_completed_at, discipline_rating,
              biggest_win, evening_updated_at)
  on public.daily_sessions to authenticated;
grant update (morning_completed, morning_completed_at, recording_path, recording_duration_ms,
              recording_sha256, affirmations_version, vision_board_viewed, violent_action,
              violent_action_id, violent_action_set_at, morning_updated_at,
              action_completed, evening_completed, evening_completed_at, discipline_rating,
              biggest_win, evening_updated_at)
  on public.daily_sessions to authenticated;
grant all on public.daily_sessions to service_role;

-- =============================================
-- Row level security
-- =============================================
alter table public.daily_sessions enable row level security;

create policy "Members can read their own sessions" on public.daily_sessions
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Members can add their own sessions" on public.daily_sessions
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Members can change their own sessions" on public.daily_sessions
  for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
