-- Limits in one place (issue 12): the server's lengths say the numbers the app checks.
--
-- The app validates what a member types (chris_app.models) and keeps it in SQLite on the
-- device; the server's constraints said other numbers (affirmations up to 20000 characters,
-- captions 200, a violent action up to 500 and possibly empty, a biggest win 2000). A row
-- another client wrote could then be accepted here and never stored by a device on pull, and
-- the numbers drifted apart with every change. src/chris_app/domain/limits.py holds the same
-- numbers as this file: change them together. tests/db/test_db_limits.py probes the app's
-- models, these constraints and the device's store at every boundary.
--
-- Text is measured the same way everywhere: a minimum counts the characters left after
-- trimming (a blank text is no text), a maximum counts every stored character. The app trims
-- what it sends, so for its rows the two readings are the same number; the maximum on the
-- stored text is what a device's store has to hold when it pulls a row.
--
--   profiles.display_name       1..40 after trimming, at most 40 stored      (null = no name)
--   affirmations.content        1..5000, not blank
--   vision_boards.caption       at most 140                                  (null = none)
--   daily_sessions.violent_action   3..280 after trimming, at most 280 stored (null = none)
--   daily_sessions.biggest_win      at most 1000                             (null = none)
--
-- The constraints keep their generated names (profiles_display_name_check, ...), which
-- sync_push reports in `rejected` reasons.

-- =============================================
-- Rows outside the new limits
-- =============================================
-- The app never sent such values; another client could have. They are brought inside the
-- limits first, so every constraint below is valid for every row (and every row can be pulled
-- again): over-long texts are cut, a violent action of fewer than 3 characters becomes
-- "none chosen", a blank affirmations version is removed. Changed rows get a new change_xid
-- (triggers, or set here), so devices pull the new text.

update public.profiles set display_name = btrim(display_name)  -- the old check kept 1..40 after trimming
 where char_length(display_name) > 40;

update public.vision_boards set caption = left(caption, 140) where char_length(caption) > 140;

update public.daily_sessions s
   set violent_action = (select case when char_length(f.fit) >= 3 then f.fit end
                           from (select btrim(left(btrim(s.violent_action), 280)) as fit) f)
 where char_length(s.violent_action) > 280 or char_length(btrim(s.violent_action)) < 3;

update public.daily_sessions set biggest_win = left(biggest_win, 1000) where char_length(biggest_win) > 1000;

-- Affirmation versions are immutable (affirmations_before_update refuses a new text); this
-- one-off cut goes around that trigger and stamps the row itself.
alter table public.affirmations disable trigger affirmations_before_update;
update public.affirmations set content = left(content, 5000), updated_at = now(),
       change_xid = pg_current_xact_id()
 where char_length(content) > 5000;
alter table public.affirmations enable trigger affirmations_before_update;

-- A blank active version hands "active" to the member's newest non-blank one (the trigger
-- retires the blank one), then every blank version goes. No device holds a blank version:
-- the device's store refuses one.
update public.affirmations a set is_active = true
 where a.id in (select distinct on (blank.user_id) other.id
                  from public.affirmations blank
                  join public.affirmations other on other.user_id = blank.user_id and btrim(other.content) <> ''
                 where blank.is_active and btrim(blank.content) = ''
                 order by blank.user_id, other.version desc);
delete from public.affirmations where btrim(content) = '';

-- =============================================
-- Constraints
-- =============================================
alter table public.profiles
  drop constraint profiles_display_name_check,
  add constraint profiles_display_name_check
    check (char_length(btrim(display_name)) >= 1 and char_length(display_name) <= 40);

alter table public.affirmations
  drop constraint affirmations_content_check,
  add constraint affirmations_content_check
    check (char_length(content) between 1 and 5000 and btrim(content) <> '');

alter table public.vision_boards
  drop constraint vision_boards_caption_check,
  add constraint vision_boards_caption_check check (char_length(caption) <= 140);

alter table public.daily_sessions
  drop constraint daily_sessions_violent_action_check,
  add constraint daily_sessions_violent_action_check
    check (char_length(btrim(violent_action)) >= 3 and char_length(violent_action) <= 280),
  drop constraint daily_sessions_biggest_win_check,
  add constraint daily_sessions_biggest_win_check check (char_length(biggest_win) <= 1000);
