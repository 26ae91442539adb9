// Deploy with `supabase functions deploy stripe-webhook --no-verify-jwt`: Stripe does not send a
// Supabase JWT; the Stripe signature is the authentication.
import { makeStripeWebhookHandler } from "./handler.ts";
import { connect, PostgresDb } from "../_shared/postgres_db.ts";
import { cryptoProvider, makeStripe } from "../_shared/stripe.ts";
import { env } from "../_shared/http.ts";

const handler = makeStripeWebhookHandler({
  stripe: makeStripe(env("STRIPE_SECRET_KEY")),
  webhookSecret: env("STRIPE_WEBHOOK_SECRET"),
  db: new PostgresDb(connect(env("SUPABASE_DB_URL"))),
  cryptoProvider,
});

Deno.serve(handler);
