import { makeDeleteAccountHandler } from "./handler.ts";
import { supabaseAuthenticator } from "../_shared/auth.ts";
import { env } from "../_shared/http.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";
import { StorageAdmin } from "../_shared/storage.ts";
import { makeStripe } from "../_shared/stripe.ts";

Deno.serve(makeDeleteAccountHandler({
  stripe: makeStripe(env("STRIPE_SECRET_KEY")),
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  storage: new StorageAdmin(env("SUPABASE_URL"), env("SUPABASE_SERVICE_ROLE_KEY")),
  authenticate: supabaseAuthenticator(env("SUPABASE_URL"), env("SUPABASE_ANON_KEY")),
}));
