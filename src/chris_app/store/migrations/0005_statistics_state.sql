-- 0005: what the figures read instead of the whole history (chris_app.services.summary).
--
-- Like the server's statistics (supabase/migrations/*_statistics.sql), kept by triggers on
-- daily_sessions, so every writer keeps it right (the services, sync pulls, a wipe):
--   * stats_runs: the runs of consecutive completed days (morning_completed = 1). Completing a
--     day merges at most two runs, un-completing one splits at most one: index lookups only.
--     Current streak = the run holding the window's end; longest = the longest run (index).
--   * stats_state.completed_count: the total of completed days.
--   * stats_state.score_*: a checkpoint of the discipline score, the EMA's value after
--     score_day as chris_app.domain.stats.score_steps (score_series' steps) computed it from
--     score_first_day. The app writes it (SQL floats would not be the domain's floats); any
--     change to a completed day on or before score_day throws it away here, and a checkpoint
--     of another first day is not used.
-- Derived state carries no checks that could refuse a member's write of a day.

create table stats_runs (
  first_date text not null,
  last_date text not null,
  days integer not null
);
create index stats_runs_by_first on stats_runs (first_date);
-- (not unique either: for a moment inside a merge two runs end on the same day)
create index stats_runs_by_last on stats_runs (last_date);
create index stats_runs_by_days on stats_runs (days);

-- the window's reads (rate, rating, the score's days) from the index alone
create index daily_sessions_for_figures on daily_sessions (date, morning_completed, discipline_rating,
                                                           action_completed);

create table stats_state (
  id integer primary key check (id = 1),
  completed_count integer not null default 0,
  score_first_day text,
  score_day text,
  score_value real
);

-- From what is there already: runs by gaps and islands, the count; no score checkpoint yet.
insert into stats_runs (first_date, last_date, days)
select min(date), max(date), count(*)
  from (select date, julianday(date) - row_number() over (order by date) as island
          from daily_sessions where morning_completed = 1)
 group by island;
insert into stats_state (id, completed_count)
select 1, count(*) from daily_sessions where morning_completed = 1;

-- One completed day more (delta 1) or less (delta -1): the triggers below write here, the
-- INSTEAD OF triggers do the work once for inserts, updates and deletes alike.
create view stats_day_changes (date, delta) as select null, 0 where 0;

create trigger stats_day_added instead of insert on stats_day_changes when new.delta = 1
begin
  -- the run ending the day before takes the day, and the run starting the day after if any
  update stats_runs set
    days = days + 1 + coalesce((select n.days from stats_runs n where n.first_date = date(new.date, '+1 day')), 0),
    last_date = coalesce((select n.last_date from stats_runs n where n.first_date = date(new.date, '+1 day')),
                         new.date)
   where last_date = date(new.date, '-1 day');
  -- that run after is then absorbed, or else it starts on the day
  delete from stats_runs
   where first_date = date(new.date, '+1 day')
     and (select p.last_date from stats_runs p where p.first_date < new.date
           order by p.first_date desc limit 1) >= new.date;
  update stats_runs set first_date = new.date, days = days + 1
   where first_date = date(new.date, '+1 day');
  -- neither: a run of its own
  insert into stats_runs (first_date, last_date, days)
  select new.date, new.date, 1
   where coalesce((select p.last_date from stats_runs p where p.first_date <= new.date
                    order by p.first_date desc limit 1), '') < new.date;
  update stats_state set completed_count = completed_count + 1,
    score_first_day = case when score_day >= new.date then null else score_first_day end,
    score_value = case when score_day >= new.date then null else score_value end,
    score_day = case when score_day >= new.date then null else score_day end;
end;

create trigger stats_day_removed instead of insert on stats_day_changes when new.delta = -1
begin
  -- the part of its run after the day becomes a run of its own
  insert into stats_runs (first_date, last_date, days)
  select date(new.date, '+1 day'), p.last_date, cast(julianday(p.last_date) - julianday(new.date) as integer)
    from (select r.last_date from stats_runs r where r.first_date <= new.date
           order by r.first_date desc limit 1) p
   where p.last_date > new.date;
  -- the run ends the day before (or is gone when it started on the day)
  delete from stats_runs where first_date = new.date;
  update stats_runs set last_date = date(new.date, '-1 day'),
    days = cast(julianday(new.date) - julianday(first_date) as integer)
   where first_date = (select p.first_date from stats_runs p where p.first_date < new.date
                        order by p.first_date desc limit 1)
     and last_date >= new.date;
  update stats_state set completed_count = completed_count - 1,
    score_first_day = case when score_day >= new.date then null else score_first_day end,
    score_value = case when score_day >= new.date then null else score_value end,
    score_day = case when score_day >= new.date then null else score_day end;
end;

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
