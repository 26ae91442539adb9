// Scheduled every few minutes (see docs/backend.md "Edge functions"): pg_cron + pg_net POST
// with the x-cron-secret header. Deploy with --no-verify-jwt; the secret is the authentication.
// Push through OneSignal is on when ONESIGNAL_APP_ID and ONESIGNAL_REST_API_KEY are both set
// (docs/push.md); without them the function sends email only and never heartbeats push.
import { makeReminderDispatchHandler, PUSH_TTL_SECONDS } from "./handler.ts";
import { env } from "../_shared/http.ts";
import { KitClient } from "../_shared/kit.ts";
import { oneSignalFromEnv } from "../_shared/onesignal.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";

const pushTtlSeconds = Number(env("ONESIGNAL_TTL_SECONDS", String(PUSH_TTL_SECONDS)));
if (!Number.isInteger(pushTtlSeconds) || pushTtlSeconds <= 0) {
  throw new Error("ONESIGNAL_TTL_SECONDS must be a whole number of seconds above 0");
}

Deno.serve(makeReminderDispatchHandler({
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  kit: new KitClient(env("KIT_API_KEY")),
  push: oneSignalFromEnv((name) => Deno.env.get(name)),
  pushTtlSeconds,
  cronSecret: env("CRON_SECRET"),
  tags: {
    morning_reminder: env("KIT_MORNING_REMINDER_TAG_ID"),
    evening_reminder: env("KIT_EVENING_REMINDER_TAG_ID"),
  },
  batchSize: Number(env("REMINDER_BATCH_SIZE", "50")),
}));
