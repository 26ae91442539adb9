// Stripe client construction for Deno: fetch-based HTTP client (injectable for tests) and the
// Web Crypto provider for webhook signatures.
import Stripe from "stripe";

export { Stripe };

export function makeStripe(secretKey: string, fetchFn: typeof fetch = fetch): Stripe {
  return new Stripe(secretKey, {
    httpClient: Stripe.createFetchHttpClient(fetchFn),
    maxNetworkRetries: 2,
    timeout: 20_000,
  });
}

export const cryptoProvider = Stripe.createSubtleCryptoProvider();
