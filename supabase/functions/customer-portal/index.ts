import { makePortalHandler } from "./handler.ts";
import { supabaseAuthenticator } from "../_shared/auth.ts";
import { env } from "../_shared/http.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";
import { makeStripe } from "../_shared/stripe.ts";

Deno.serve(makePortalHandler({
  stripe: makeStripe(env("STRIPE_SECRET_KEY")),
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  authenticate: supabaseAuthenticator(env("SUPABASE_URL"), env("SUPABASE_ANON_KEY")),
  returnUrl: env("PORTAL_RETURN_URL"),
}));
