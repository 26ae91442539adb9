-- 0006: what this device remembers about itself. Never synced (no outbox rows, not in the
-- export): another device of the same member keeps its own.
--   * introduced: the first-run introduction (/welcome) was finished or skipped here.
create table device_flags (
  name text primary key,
  value text not null,
  updated_at text not null
);
