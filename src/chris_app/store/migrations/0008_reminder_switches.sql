-- 0008: the member's reminder switches, synced, apart from this device's own one.
--
--   * push_notifications, morning_reminder, evening_reminder, weekly_email: the account's
--     switches (user_settings on the server), synced per field like the other settings.
--   * on_device_reminders: whether THIS device shows its own reminders. Never synced any more
--     (until now it was sent as push_notifications, which mixed the two up).
--   * push_reachable, email_reachable: what the server last said about the account (a phone
--     registered for push and a push sender alive; an email address and an email sender alive).
--     Written only by a pull, never pushed, never edited here.

alter table settings add column push_notifications integer not null default 1
  check (push_notifications in (0, 1));
alter table settings add column morning_reminder integer not null default 1
  check (morning_reminder in (0, 1));
alter table settings add column evening_reminder integer not null default 1
  check (evening_reminder in (0, 1));
alter table settings add column weekly_email integer not null default 1
  check (weekly_email in (0, 1));
alter table settings add column push_reachable integer not null default 0
  check (push_reachable in (0, 1));
alter table settings add column email_reachable integer not null default 0
  check (email_reachable in (0, 1));

-- What this device pushed as push_notifications until now was on_device_reminders: the account's
-- switch starts from that value and keeps its edit time (a default stays a default: no stamp).
-- The device's own switch keeps its value; its old stamp goes with the value it described.
update settings set
  push_notifications = on_device_reminders,
  field_stamps = case
    when json_type(field_stamps, '$.on_device_reminders') is null then field_stamps
    else json_set(json_remove(field_stamps, '$.on_device_reminders'),
                  '$.push_notifications', json_extract(field_stamps, '$.on_device_reminders'))
  end;
