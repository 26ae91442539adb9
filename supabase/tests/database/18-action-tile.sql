-- Board <-> action links (20261202000600_action_tile.sql): a day keeps the linked tile's id and a
-- copy of its caption; checked; part of the morning half in sync_push; carried by sync_pull; the
-- day stays readable after its tile is removed. The metrics of 15-reading-metrics still hold.
begin;
select plan(13);

select tests.create_supabase_user('owner');
select tests.get_supabase_uid('owner') as owner_id \gset

select has_column('public', 'daily_sessions', c, format('daily_sessions.%s exists', c))
  from unnest(array['action_tile_id', 'action_tile_caption']) c;

select tests.authenticate_as('owner');
select throws_ok($$insert into public.daily_sessions (date, violent_action, action_tile_caption)
                   values ('2026-11-20', 'Call the bank', 'Cabin')$$, '23514',
  'new row for relation "daily_sessions" violates check constraint "daily_sessions_action_tile_link_check"',
  'a caption without a tile id is refused');
select throws_ok($$insert into public.daily_sessions (date, action_tile_id) values ('2026-11-20', gen_random_uuid())$$,
  '23514',
  'new row for relation "daily_sessions" violates check constraint "daily_sessions_action_tile_needs_action_check"',
  'a tile link without an action is refused');
select throws_ok(format($$insert into public.daily_sessions (date, violent_action, action_tile_id, action_tile_caption)
                   values ('2026-11-20', 'Call the bank', gen_random_uuid(), %L)$$, repeat('x', 201)), '23514',
  'new row for relation "daily_sessions" violates check constraint "daily_sessions_action_tile_caption_check"',
  'a caption longer than a tile caption is refused');

-- ---------- a device links its action to a tile ----------
select public.sync_push(jsonb_build_object('vision_boards', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000a1', 'position', 1,
  'image_path', :'owner_id' || '/cabin.jpg', 'caption', 'Cabin by the lake',
  'client_updated_at', '2026-11-20T05:00:00Z'))), gen_random_uuid(), 1);
select is(public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20', 'violent_action', 'Call the bank',
  'violent_action_set_at', '2026-11-20T06:00:00Z', 'action_tile_id', '00000000-0000-4000-8000-0000000000a1',
  'action_tile_caption', 'Cabin by the lake', 'morning_updated_at', '2026-11-20T06:00:00Z'))),
  gen_random_uuid(), 1) -> 'applied', '1', 'a linked action is applied');
select results_eq($$select action_tile_id::text, action_tile_caption from public.daily_sessions where date = '2026-11-20'$$,
  $$values ('00000000-0000-4000-8000-0000000000a1', 'Cabin by the lake')$$, 'the link and its caption are stored');

-- An older morning (an offline device) does not overwrite the link; a newer one may clear it.
select public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20', 'violent_action', 'Older action',
  'action_tile_id', null, 'action_tile_caption', null, 'morning_updated_at', '2026-11-20T05:30:00Z'))),
  gen_random_uuid(), 1);
select results_eq($$select violent_action, action_tile_caption from public.daily_sessions where date = '2026-11-20'$$,
  $$values ('Call the bank', 'Cabin by the lake')$$, 'an older morning leaves the link');

-- The evening half does not touch the link, and the metrics of the reading still follow it.
select public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20', 'action_completed', true,
  'evening_completed', true, 'evening_completed_at', '2026-11-20T20:00:00Z', 'discipline_rating', 8,
  'evening_updated_at', '2026-11-20T20:00:00Z'))), gen_random_uuid(), 1);
select results_eq($$select action_completed, action_tile_id::text from public.daily_sessions where date = '2026-11-20'$$,
  $$values (true, '00000000-0000-4000-8000-0000000000a1')$$, 'the evening keeps the link');

-- ---------- the tile is removed: the day keeps its readable history ----------
select public.sync_push(jsonb_build_object('vision_boards', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000a1', 'position', 1,
  'image_path', :'owner_id' || '/removed-a1', 'caption', null, 'deleted_at', '2026-11-21T08:00:00Z',
  'client_updated_at', '2026-11-21T08:00:00Z'))), gen_random_uuid(), 1);
select is((select deleted_at is not null from public.vision_boards where id = '00000000-0000-4000-8000-0000000000a1'),
  true, 'the tile is a tombstone');
select results_eq($$select action_tile_caption from public.daily_sessions where date = '2026-11-20'$$,
  $$values ('Cabin by the lake')$$, 'the day still names the removed tile');
select ok((select bool_and(s ?& array['action_tile_id', 'action_tile_caption']
                        and s ->> 'action_tile_caption' = 'Cabin by the lake')
             from jsonb_array_elements(public.sync_pull(0) -> 'changes' -> 'daily_sessions') s),
  'sync_pull carries the link and its caption');

-- A newer morning clears the link (the member unlinked it).
select public.sync_push(jsonb_build_object('daily_sessions', jsonb_build_array(jsonb_build_object(
  'id', '00000000-0000-4000-8000-0000000000d1', 'date', '2026-11-20', 'violent_action', 'Call the bank',
  'action_tile_id', null, 'action_tile_caption', null, 'morning_updated_at', '2026-11-20T07:00:00Z'))),
  gen_random_uuid(), 1);
select results_eq($$select action_tile_id is null and action_tile_caption is null from public.daily_sessions
                     where date = '2026-11-20'$$, $$values (true)$$, 'a newer morning can unlink');

select * from finish();
rollback;
