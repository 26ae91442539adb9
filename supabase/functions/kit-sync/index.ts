// Scheduled every few minutes (welcome rows come at sign-up, weekly rows on Sundays): pg_cron +
// pg_net POST with the x-cron-secret header. Deploy with --no-verify-jwt.
import { makeKitSyncHandler } from "./handler.ts";
import { env } from "../_shared/http.ts";
import { KitClient } from "../_shared/kit.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";

Deno.serve(makeKitSyncHandler({
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  kit: new KitClient(env("KIT_API_KEY")),
  cronSecret: env("CRON_SECRET"),
  memberTagId: Deno.env.get("KIT_MEMBER_TAG_ID") || null,
  weeklyTagId: Deno.env.get("KIT_WEEKLY_TAG_ID") || null,
}));
