// Scheduled daily (docs/backend.md "Scheduling"): pg_cron + pg_net POST with the x-cron-secret
// header. Deploy with --no-verify-jwt; the secret is the authentication.
import { makePurgeExportsHandler } from "./handler.ts";
import { env } from "../_shared/http.ts";
import { StorageAdmin } from "../_shared/storage.ts";

Deno.serve(makePurgeExportsHandler({
  storage: new StorageAdmin(env("SUPABASE_URL"), env("SUPABASE_SERVICE_ROLE_KEY")),
  cronSecret: env("CRON_SECRET"),
}));
