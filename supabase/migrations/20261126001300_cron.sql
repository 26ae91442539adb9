-- pg_cron jobs. cron.schedule with a job name updates an existing job of that name, so this
-- migration can run again. Jobs run as the migration's role (postgres).

-- Reminders of the current 15-minute slot, in every member's own time zone.
select cron.schedule('queue-reminders', '*/15 * * * *', $$select public.queue_reminders()$$);

-- Statistics brought to the truth at each member's own day boundary (day_start in their zone);
-- every 15 minutes because zone offsets are multiples of 15 minutes.
select cron.schedule('refresh-stale-stats', '*/15 * * * *', $$select public.refresh_stale_stats()$$);

-- Housekeeping: a client retrying an op after 30 days is re-applied (harmless: rows are
-- last-writer-wins); delivered or abandoned reminders are kept a month for support.
select cron.schedule('purge-sync-ops', '17 3 * * *',
  $$delete from public.sync_ops where created_at < now() - interval '30 days'$$);
select cron.schedule('purge-notifications', '27 3 * * *',
  $$delete from public.notification_queue where status in ('sent', 'failed') and created_at < now() - interval '30 days'$$);
