-- 0011: a day's action linked to a vision tile ("this builds toward: Cabin by the lake";
-- docs/sync.md, "Board and action links"). The day keeps the tile's id, which groups the days by
-- tile while it lives (a renamed tile keeps its days), and a copy of its caption when the action
-- was linked, which keeps the history readable once the tile is removed or replaced (removing a
-- tile deletes its row here). No foreign key: the day must outlive its tile. Part of the
-- morning half, written with the action.
alter table daily_sessions add column action_tile_id text;
alter table daily_sessions add column action_tile_caption text
  check (action_tile_caption is null or (action_tile_id is not null and length(action_tile_caption) between 1 and 200));
