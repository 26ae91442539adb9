-- 0001: what a member enters on this device. Derived figures (streaks, rates, score) are
-- never stored here: they are recomputed from daily_sessions by chris_app.domain.stats.

-- The member on this device: one row (id = 1). first_day is the protocol day they joined.
create table profile (
  id integer primary key check (id = 1),
  display_name text not null default '' check (length(display_name) <= 80),
  timezone text not null default 'UTC',
  day_start_hour integer not null default 3 check (day_start_hour between 0 and 23),
  morning_time text not null default '05:30' check (morning_time glob '[0-2][0-9]:[0-5][0-9]'),
  evening_time text not null default '20:00' check (evening_time glob '[0-2][0-9]:[0-5][0-9]'),
  first_day text not null check (date(first_day) = first_day),
  created_at text not null,
  updated_at text not null
);

-- Member preferences (one row, id = 1).
create table settings (
  id integer primary key check (id = 1),
  on_device_reminders integer not null default 1 check (on_device_reminders in (0, 1)),
  email_reminders integer not null default 0 check (email_reminders in (0, 1)),
  sound_enabled integer not null default 1 check (sound_enabled in (0, 1)),
  auto_play_recording integer not null default 0 check (auto_play_recording in (0, 1)),
  theme text not null default 'system' check (theme in ('light', 'dark', 'system')),
  min_recording_seconds integer not null default 20 check (min_recording_seconds between 1 and 600),
  max_recording_minutes integer not null default 15 check (max_recording_minutes between 1 and 60),
  input_device text,
  updated_at text not null
);

-- Affirmation versions 1, 2, 3, …; exactly one is active once any exists.
create table affirmations (
  id text primary key,
  version integer not null unique check (version >= 1),
  content text not null check (length(trim(content)) between 1 and 5000),
  is_active integer not null default 0 check (is_active in (0, 1)),
  created_at text not null,
  updated_at text not null
);
create unique index affirmations_one_active on affirmations (is_active) where is_active = 1;

-- Audio files of the morning reading; the newest good take of a day is the session's.
create table recordings (
  id text primary key,
  date text not null check (date(date) = date),
  path text not null,
  mime text not null,
  duration_ms integer not null check (duration_ms > 0),
  sample_rate integer check (sample_rate > 0),
  size_bytes integer not null check (size_bytes > 0),
  sha256 text not null check (length(sha256) = 64),
  created_at text not null
);
create index recordings_by_date on recordings (date);

-- One row per protocol day.
create table daily_sessions (
  id text primary key,
  date text not null unique check (date(date) = date),
  morning_completed integer not null default 0 check (morning_completed in (0, 1)),
  morning_completed_at text,
  recording_id text references recordings (id),
  affirmations_version integer,
  vision_board_viewed integer not null default 0 check (vision_board_viewed in (0, 1)),
  violent_action text check (violent_action is null or length(violent_action) between 1 and 280),
  violent_action_id text,
  violent_action_set_at text,
  action_completed integer check (action_completed in (0, 1)),
  evening_completed integer not null default 0 check (evening_completed in (0, 1)),
  evening_completed_at text,
  discipline_rating integer check (discipline_rating between 1 and 10),
  biggest_win text check (biggest_win is null or length(biggest_win) <= 1000),
  created_at text not null,
  updated_at text not null,
  check (morning_completed = 0 or (morning_completed_at is not null and recording_id is not null)),
  check (evening_completed = 0 or (discipline_rating is not null and action_completed is not null))
);

-- The 8 vision board tiles.
create table vision_board_tiles (
  id text primary key,
  position integer not null unique check (position between 1 and 8),
  image_path text not null,
  caption text check (caption is null or length(caption) <= 140),
  created_at text not null,
  updated_at text not null
);

-- Local changes waiting to be pushed (the sync engine drains it; rows survive restarts).
create table outbox (
  seq integer primary key autoincrement,
  entity text not null check (entity in ('profile', 'settings', 'affirmations', 'recordings',
                                         'daily_sessions', 'vision_board_tiles')),
  row_id text not null,
  op text not null check (op in ('upsert', 'delete')),
  created_at text not null,
  attempts integer not null default 0,
  last_error text
);
create index outbox_by_row on outbox (entity, row_id);
