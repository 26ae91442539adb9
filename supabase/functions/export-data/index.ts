import { makeExportDataHandler } from "./handler.ts";
import { supabaseAuthenticator } from "../_shared/auth.ts";
import { env } from "../_shared/http.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";
import { StorageAdmin } from "../_shared/storage.ts";

Deno.serve(makeExportDataHandler({
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  // each part (up to 50 MB) is one upload: more time than the 20 s default
  storage: new StorageAdmin(env("SUPABASE_URL"), env("SUPABASE_SERVICE_ROLE_KEY"), fetch, 120_000),
  authenticate: supabaseAuthenticator(env("SUPABASE_URL"), env("SUPABASE_ANON_KEY")),
}));
