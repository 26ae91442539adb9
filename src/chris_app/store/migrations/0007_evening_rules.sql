-- 0007: the evening's rules (docs/rules.md): the "did you do it?" answer exists only on a day
-- with an action, and the biggest win is optional. 0001 required an answer for every saved
-- evening; SQLite cannot change a CHECK in place, so the table is rebuilt (same columns, same
-- rows) and its index and the statistics triggers of 0005 are made again. Nothing else refers
-- to daily_sessions, and the rows are the same, so the kept statistics stay right.
create table daily_sessions_new (
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
  morning_updated_at text,
  evening_updated_at text,
  check (morning_completed = 0 or (morning_completed_at is not null and recording_id is not null)),
  check (evening_completed = 0 or discipline_rating is not null)
);

insert into daily_sessions_new (id, date, morning_completed, morning_completed_at, recording_id,
    affirmations_version, vision_board_viewed, violent_action, violent_action_id,
    violent_action_set_at, action_completed, evening_completed, evening_completed_at,
    discipline_rating, biggest_win, created_at, updated_at, morning_updated_at, evening_updated_at)
select id, date, morning_completed, morning_completed_at, recording_id,
    affirmations_version, vision_board_viewed, violent_action, violent_action_id,
    violent_action_set_at, action_completed, evening_completed, evening_completed_at,
    discipline_rating, biggest_win, created_at, updated_at, morning_updated_at, evening_updated_at
  from daily_sessions;

-- (a DROP TABLE's implicit delete fires no trigger: the kept statistics are untouched)
drop table daily_sessions;
alter table daily_sessions_new rename to daily_sessions;

create index daily_sessions_for_figures on daily_sessions (date, morning_completed, discipline_rating,
                                                           action_completed);

create trigger daily_sessions_stats_insert after insert on daily_sessions
when new.morning_completed = 1
begin
  insert into stats_day_changes (date, delta) values (new.date, 1);
end;

create trigger daily_sessions_stats_delete after delete on daily_sessions
when old.morning_completed = 1
begin
  insert into stats_day_changes (date, delta) values (old.date, -1);
end;

create trigger daily_sessions_stats_update after update of date, morning_completed on daily_sessions
when old.morning_completed != new.morning_completed or (old.date != new.date and new.morning_completed = 1)
begin
  insert into stats_day_changes (date, delta)
  select old.date, -1 where old.morning_completed = 1;
  insert into stats_day_changes (date, delta)
  select new.date, 1 where new.morning_completed = 1;
end;
