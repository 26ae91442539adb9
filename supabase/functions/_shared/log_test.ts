// The functions' own log lines (console output, shown to operators in the hosting dashboard)
// carry none of the member's personal data, whatever the failing code had in hand: every line
// goes through log.ts, which scrubs with the same function as the error reports (scrub.ts).
import { assert, assertEquals, assertMatch } from "./testing/assert.ts";
import { describeError, logger } from "./log.ts";
import { configureReports } from "./report.ts";
import { supabaseAuthenticator } from "./auth.ts";
import { makeStripe } from "./stripe.ts";
import { StorageAdmin } from "./storage.ts";
import { AI_MEMBER, aiSetup } from "./testing/ai_setup.ts";
import { ANON_KEY, FakeFetch, fakeSupabaseAuth, jsonResponse, SUPABASE_URL } from "./testing/fake_fetch.ts";
import { FakeStorage, SERVICE_ROLE_KEY } from "./testing/fake_storage.ts";
import { MemoryDb } from "./testing/memory_db.ts";
import { cryptoProvider, signedRequest, stripe, subscriptionEvent, WEBHOOK_SECRET } from "./testing/stripe_events.ts";
import { makeGenerateAffirmationsHandler } from "../generate-affirmations/handler.ts";
import { makeExportDataHandler } from "../export-data/handler.ts";
import { makeDeleteAccountHandler } from "../delete-account/handler.ts";
import { makeStripeWebhookHandler } from "../stripe-webhook/handler.ts";

const EMAIL = "chris.tester@example.com";
const NAME = "Chris Tester";
const TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwYTRiIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
const AFFIRMATION = "I keep my word to myself even when nobody watches";
const SECRETS = [EMAIL, NAME, "Chris", "Tester", TOKEN, TOKEN.split(".")[1], AFFIRMATION, "keep my word", AI_MEMBER];

/** A database error shaped like postgres.js's: the failing row in `detail`, the values in `parameters`. */
class PostgresError extends Error {
  detail = `Failing row contains (${AI_MEMBER}, ${EMAIL}, ${NAME}, ${AFFIRMATION}).`;
  parameters = [AI_MEMBER, EMAIL, AFFIRMATION];
}

/** Failures as the code meets them: personal data in the message, quoted or not. */
const failures: (() => Error)[] = [
  () => new PostgresError(`invalid input syntax for type uuid: "${EMAIL}"`),
  () =>
    new PostgresError(
      `new row for relation "affirmations" violates check constraint. Failing row contains ` +
        `(${AI_MEMBER}, ${EMAIL}, ${NAME}, ${AFFIRMATION})`,
    ),
  () => new Error(`request failed: Authorization: Bearer ${TOKEN} for ${EMAIL}`),
  () => new Error(`token ${TOKEN} refused for member ${AI_MEMBER}`),
  () => new TypeError(`Cannot read properties of undefined (reading '${AFFIRMATION}')`),
  () => new SyntaxError(`Unexpected token 'C', "${NAME} <${EMAIL}> ${AFFIRMATION}" is not valid JSON`),
  () => new Error(`multi-line\nDETAIL: Key (email)=(${EMAIL}) ${NAME} ${AFFIRMATION}`),
];

/** Every console line written while `run` runs (all the methods a function could use). */
async function consoleLines(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const methods = ["error", "log", "warn", "info", "debug"] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    await run();
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]));
  }
  return lines;
}

function assertClean(lines: string[]) {
  for (const [i, line] of lines.entries()) {
    for (const secret of SECRETS) assert(!line.includes(secret), `line ${i} contains ${secret}: ${line}`);
  }
}

Deno.test("logs: unexpected errors of a member function log no email, name, token or affirmation", async () => {
  configureReports(null);
  const t = aiSetup({ affirmations: [AFFIRMATION, "I act first", "I train daily", "I finish", "I speak up"] });
  fakeSupabaseAuth(t.net, { [TOKEN]: { id: AI_MEMBER, email: EMAIL } });
  const request = () =>
    new Request("https://project.supabase.co/functions/v1/generate-affirmations", {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "x-client-info": EMAIL },
      body: JSON.stringify({ goals: `${AFFIRMATION}; I am ${NAME}, ${EMAIL}`, tone: NAME }),
    });
  const lines = await consoleLines(async () => {
    for (const make of failures) {
      t.db.saveAffirmations = () => Promise.reject(make()); // where the save fails: the 500 path
      const res = await makeGenerateAffirmationsHandler(t.deps)(request());
      assertEquals(res.status, 500);
    }
    // the provider's error body quoting the prompt back, unquoted
    t.setAnswer(() =>
      jsonResponse({
        error: { message: `Bad prompt: ${AFFIRMATION} by ${NAME} ${EMAIL}`, type: "invalid_request_error", code: null },
      }, 400)
    );
    assertEquals((await makeGenerateAffirmationsHandler(t.deps)(request())).status, 502);
  });
  assertEquals(lines.length, failures.length + 1); // every failure logged, once
  assertClean(lines);
  // still useful to an operator: the kind, the scrubbed message, where it happened
  assertMatch(lines[0], /^unexpected error: PostgresError: invalid input syntax for type uuid: "\[redacted\]" \[at /);
  assert(lines.slice(0, failures.length).every((l) => l.includes("generate-affirmations/handler.ts:")), lines[0]);
  assertMatch(lines[1], /Failing row contains \[redacted\]/);
  assertEquals(lines.at(-1), "openai 400: invalid_request_error");
});

Deno.test("logs: export-data, delete-account and the webhook log their failures without personal data", async () => {
  const lines = await consoleLines(async () => {
    // Storage failing with the member's data in its answer
    const net = new FakeFetch();
    fakeSupabaseAuth(net, { [TOKEN]: { id: AI_MEMBER, email: EMAIL } });
    const storage = new FakeStorage(net).bucket("exports");
    storage.put("recordings", `${AI_MEMBER}/a.ogg`, new Uint8Array([1]));
    storage.failWith = () =>
      jsonResponse({ statusCode: "500", error: "internal", message: `${NAME} ${EMAIL}: ${AFFIRMATION}` }, 500);
    const db = new MemoryDb();
    db.addMember(AI_MEMBER, EMAIL, { fullName: NAME });
    const deps = {
      db,
      storage: new StorageAdmin(SUPABASE_URL, SERVICE_ROLE_KEY, net.fetch),
      authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
    };
    const req = (body: unknown) =>
      new Request("http://localhost/x", {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
    assertEquals((await makeExportDataHandler(deps)(req({}))).status, 502);
    const remove = makeDeleteAccountHandler({ ...deps, stripe: makeStripe("sk_test_x", net.fetch) });
    assertEquals((await remove(req({ confirm: "DELETE" }))).status, 502);

    // the webhook: the database refuses the update with the member's row in the message
    const webhook = makeStripeWebhookHandler({ stripe, webhookSecret: WEBHOOK_SECRET, db, cryptoProvider });
    db.failNext = failures[1]();
    const payload = subscriptionEvent("customer.subscription.updated", {
      id: "sub_1",
      customer: "cus_1",
      status: "active",
      userId: AI_MEMBER,
    }, Math.floor(Date.now() / 1000));
    assertEquals((await webhook(await signedRequest(payload))).status, 500);
    // a signature failure on a body carrying the member's email
    assertEquals((await webhook(await signedRequest({ ...payload, email: EMAIL }, { tamper: true }))).status, 400);
  });
  assertEquals(lines.length, 4);
  assertClean(lines);
  assertMatch(lines[0], /^export-data: storage error \(list recordings\): StorageError: /);
  assertMatch(lines[1], /^delete-account: storage error \(recordings\): StorageError: /);
  assertMatch(lines[2], /^stripe-webhook: \S+ customer\.subscription\.updated failed: PostgresError: /);
  assertMatch(lines[3], /^stripe-webhook: rejected: /);
});

Deno.test("logs: a logged error is its class, scrubbed first line and code locations, never its raw stack", () => {
  const err = failures[6]();
  assert(err.stack!.includes(EMAIL)); // the raw stack's first line is the message
  const line = describeError(err);
  assertMatch(line, /^Error: multi-line \[at .*_shared\/log_test\.ts:\d+/);
  assertClean([line]);
  assertEquals(describeError("a string with " + EMAIL), "string thrown");
  const out: string[] = [];
  logger((l) => out.push(l))(`member ${EMAIL} said "${AFFIRMATION}"\nbody: ${TOKEN}`);
  assertEquals(out, ['member [email] said "[redacted]" / body: [token]']);
  logger((l) => out.push(l))("x".repeat(5000));
  assert(out[1].length <= 1000);
});
