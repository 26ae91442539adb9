-- 0002: what the sync engine needs (see docs/backend.md, "Sync RPCs").

-- Each half of a day is last-writer-wins on its own stamp, so two devices that edited the
-- morning on one and the evening on the other both keep their fields.
alter table daily_sessions add column morning_updated_at text;
alter table daily_sessions add column evening_updated_at text;
update daily_sessions set morning_updated_at = updated_at
 where morning_completed = 1 or violent_action is not null or vision_board_viewed = 1;
update daily_sessions set evening_updated_at = updated_at where evening_completed = 1;

-- A deleted row is gone locally; the outbox keeps what the server needs to delete it
-- (e.g. a tile's position) as JSON.
alter table outbox add column payload text check (payload is null or json_valid(payload));

-- Recordings and images are uploaded from the device; set once the server confirmed.
alter table recordings add column uploaded_at text;
alter table vision_board_tiles add column uploaded_at text;

-- Small key/value state of the sync engine: client_id, next op_id, pull cursor, account.
create table sync_state (
  key text primary key,
  value text not null
);
