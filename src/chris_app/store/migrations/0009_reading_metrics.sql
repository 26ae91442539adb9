-- 0009: a reading's metrics, stored with the recording (docs/audio.md, "Reading metrics").
--
-- Measured once when a reading is saved (speaking time by energy-based voice activity, the
-- voice's loudness in dBFS; the duration is duration_ms), and for readings saved before this
-- version lazily, once. The read-aloud check adds two results: the share of the affirmation
-- words read (0..1) and the reading pace in words a minute. All nullable: not measured yet,
-- not checked, or a reading known only from the server that was never measured anywhere.

alter table recordings add column speaking_ms integer check (speaking_ms is null or speaking_ms >= 0);
alter table recordings add column loudness_dbfs real
  check (loudness_dbfs is null or loudness_dbfs between -120 and 0);
alter table recordings add column read_coverage real
  check (read_coverage is null or read_coverage between 0 and 1);
alter table recordings add column words_per_minute real
  check (words_per_minute is null or words_per_minute between 0 and 1000);
