import { makeTranscribeReadingHandler } from "./handler.ts";
import { supabaseAuthenticator } from "../_shared/auth.ts";
import { env } from "../_shared/http.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";

Deno.serve(makeTranscribeReadingHandler({
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  authenticate: supabaseAuthenticator(env("SUPABASE_URL"), env("SUPABASE_ANON_KEY")),
  openaiKey: env("OPENAI_API_KEY"),
  model: env("OPENAI_TRANSCRIBE_MODEL", "gpt-4o-mini-transcribe"),
  dailyLimit: Number(env("AI_DAILY_LIMIT", "10")),
  timeoutMs: Number(env("OPENAI_TRANSCRIBE_TIMEOUT_MS", "120000")),
}));
