import { makeCheckoutHandler } from "./handler.ts";
import { supabaseAuthenticator } from "../_shared/auth.ts";
import { env } from "../_shared/http.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";
import { makeStripe } from "../_shared/stripe.ts";

Deno.serve(makeCheckoutHandler({
  stripe: makeStripe(env("STRIPE_SECRET_KEY")),
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  authenticate: supabaseAuthenticator(env("SUPABASE_URL"), env("SUPABASE_ANON_KEY")),
  priceId: env("STRIPE_PRICE_ID"),
  successUrl: env("CHECKOUT_SUCCESS_URL"),
  cancelUrl: env("CHECKOUT_CANCEL_URL"),
}));
