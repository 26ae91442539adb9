import { makeGenerateAffirmationsHandler } from "./handler.ts";
import { aiConfigFromEnv } from "../_shared/ai.ts";
import { supabaseAuthenticator } from "../_shared/auth.ts";
import { env } from "../_shared/http.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";

Deno.serve(makeGenerateAffirmationsHandler({
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  authenticate: supabaseAuthenticator(env("SUPABASE_URL"), env("SUPABASE_ANON_KEY")),
  ...aiConfigFromEnv(env),
}));
