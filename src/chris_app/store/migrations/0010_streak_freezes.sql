-- 0010: the streak freeze walk's state beside the score checkpoint (docs/rules.md#streak-freezes,
-- chris_app.services.summary): chris_app.domain.stats.walk's state after stats_state.score_day,
-- walked from score_first_day. Written by the app with the score checkpoint and thrown away with
-- it: 0005's triggers clear score_day on any change to a completed day on or before it, and a
-- walk state is only read while score_day is set.
alter table stats_state add column walk_streak integer;
alter table stats_state add column walk_best integer;
alter table stats_state add column walk_freezes integer;
alter table stats_state add column walk_since_earn integer;
-- checkpoints kept before this migration have no walk state: computed again on the next read
update stats_state set score_first_day = null, score_day = null, score_value = null;
