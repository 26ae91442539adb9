// Scheduled every few minutes (see docs/backend.md "Edge functions"): pg_cron + pg_net POST
// with the x-cron-secret header. Deploy with --no-verify-jwt; the secret is the authentication.
import { makeReminderDispatchHandler } from "./handler.ts";
import { env } from "../_shared/http.ts";
import { KitClient } from "../_shared/kit.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";

Deno.serve(makeReminderDispatchHandler({
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  kit: new KitClient(env("KIT_API_KEY")),
  cronSecret: env("CRON_SECRET"),
  tags: {
    morning_reminder: env("KIT_MORNING_REMINDER_TAG_ID"),
    evening_reminder: env("KIT_EVENING_REMINDER_TAG_ID"),
  },
  batchSize: Number(env("REMINDER_BATCH_SIZE", "50")),
}));
