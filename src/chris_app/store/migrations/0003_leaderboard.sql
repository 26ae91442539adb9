-- 0003: the member's choice to appear on the opt-in leaderboard (synced with the profile).
alter table profile add column leaderboard_opt_in integer not null default 0
  check (leaderboard_opt_in in (0, 1));
