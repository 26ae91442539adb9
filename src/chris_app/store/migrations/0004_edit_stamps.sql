-- 0004: what the member edited, and when (docs/sync.md, "What wins").
--
-- A default is not an edit. The profile and the settings keep, per field, the time of the
-- member's last edit of it on any device (JSON {field: stamp}); a field without a stamp was
-- never changed and never wins over an account's value. An affirmations version keeps the time
-- it was saved (activated_at); the install's starter text has none.

alter table profile add column field_stamps text not null default '{}'
  check (json_valid(field_stamps) and json_type(field_stamps) = 'object');
alter table settings add column field_stamps text not null default '{}'
  check (json_valid(field_stamps) and json_type(field_stamps) = 'object');
alter table affirmations add column activated_at text;

-- Stores from before: a value other than the install default was an edit, made at the row's
-- last change at the latest. The time zone comes from the device, so it is never taken for one.
update profile set field_stamps = json_remove(
  json_object('display_name', updated_at, 'day_start_hour', updated_at, 'morning_time', updated_at,
              'evening_time', updated_at, 'leaderboard_opt_in', updated_at),
  case when display_name = '' then '$.display_name' else '$.-' end,
  case when day_start_hour = 3 then '$.day_start_hour' else '$.-' end,
  case when morning_time = '05:30' then '$.morning_time' else '$.-' end,
  case when evening_time = '20:00' then '$.evening_time' else '$.-' end,
  case when leaderboard_opt_in = 0 then '$.leaderboard_opt_in' else '$.-' end);
update settings set field_stamps = json_remove(
  json_object('on_device_reminders', updated_at, 'email_reminders', updated_at, 'sound_enabled', updated_at,
              'auto_play_recording', updated_at, 'theme', updated_at),
  case when on_device_reminders = 1 then '$.on_device_reminders' else '$.-' end,
  case when email_reminders = 0 then '$.email_reminders' else '$.-' end,
  case when sound_enabled = 1 then '$.sound_enabled' else '$.-' end,
  case when auto_play_recording = 0 then '$.auto_play_recording' else '$.-' end,
  case when theme = 'system' then '$.theme' else '$.-' end);

-- Every version was saved by the member, except a guest's version 1: the starter text every
-- install begins with (an account's version 1, pulled, was saved on some device).
update affirmations set activated_at = created_at
 where version > 1 or exists (select 1 from sync_state where key = 'account');

-- A device already syncing sends its profile once more, so that the account learns its first day.
insert into outbox (entity, row_id, op, created_at)
select 'profile', '1', 'upsert', strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')
 where exists (select 1 from sync_state where key = 'account')
   and not exists (select 1 from outbox where entity = 'profile' and op = 'upsert');
