-- 0012: error reports (issue 18; chris_app/reporting.py). Device-only: never synced, never
-- exported, not in the outbox. Off by default: nothing is reported until the member turns the
-- switch on in Settings.
--   * enabled: the member's choice on this device.
--   * install_id: a random id of this install, the only "user" a report carries (never the
--     member's account id or email); a new one after the device is wiped.
create table error_reports (
  id integer primary key check (id = 1),
  enabled integer not null default 0 check (enabled in (0, 1)),
  install_id text not null check (length(install_id) = 32),
  updated_at text not null
);
insert into error_reports (id, enabled, install_id, updated_at)
  values (1, 0, lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
