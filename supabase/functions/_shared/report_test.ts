// Error reports reach a fake Sentry ingestion endpoint (the envelope endpoint of the DSN's host)
// and carry none of the member's personal data, whatever the failing code had in hand.
import { assert, assertEquals, assertMatch } from "./testing/assert.ts";
import { configureReports, envelope, parseDsn, reportError, scrubMessage } from "./report.ts";
import { HttpError, route } from "./http.ts";
import { AI_MEMBER, aiSetup } from "./testing/ai_setup.ts";
import { FakeFetch, fakeSupabaseAuth, jsonResponse, type Recorded } from "./testing/fake_fetch.ts";
import { makeGenerateAffirmationsHandler } from "../generate-affirmations/handler.ts";

const DSN = "https://3f1e0c2b9a8d4e7f@o4507.ingest.example.io/4242";
const EMAIL = "chris.tester@example.com";
const NAME = "Chris Tester";
const TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwYTRiIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
const AFFIRMATION = "I keep my word to myself even when nobody watches";

/** A fake ingestion endpoint: POST /api/<project>/envelope/ with the DSN's key, as Sentry documents. */
function fakeSentry(net: FakeFetch, status = 200) {
  const envelopes: Recorded[] = [];
  net.on("POST", /^https:\/\/o4507\.ingest\.example\.io\/api\/4242\/envelope\/$/, (req) => {
    envelopes.push(req);
    const auth = req.headers.get("X-Sentry-Auth") ?? "";
    if (!auth.includes("sentry_key=3f1e0c2b9a8d4e7f") || !auth.includes("sentry_version=7")) {
      return jsonResponse({ detail: "bad auth" }, 401);
    }
    return jsonResponse({ id: JSON.parse(req.body.split("\n")[0]).event_id }, status);
  });
  return envelopes;
}

/** A database error shaped like postgres.js's: the failing row in `detail`, the query's values in `parameters`. */
class PostgresError extends Error {
  detail = `Failing row contains (${AI_MEMBER}, ${EMAIL}, ${NAME}, ${AFFIRMATION}).`;
  query = "insert into public.affirmations (user_id, content) values ($1, $2)";
  parameters = [AI_MEMBER, AFFIRMATION];
  constructor(message: string) {
    super(message);
  }
}

function member() {
  const t = aiSetup({ affirmations: [AFFIRMATION, "I act first", "I train daily", "I finish", "I speak up"] });
  fakeSupabaseAuth(t.net, { [TOKEN]: { id: AI_MEMBER, email: EMAIL } });
  t.db.profiles.get(AI_MEMBER)!.fullName = NAME;
  const request = () =>
    new Request("https://project.supabase.co/functions/v1/generate-affirmations", {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", "x-client-info": EMAIL },
      body: JSON.stringify({ goals: `${AFFIRMATION}; I am ${NAME}, ${EMAIL}`, tone: NAME }),
    });
  return { ...t, request };
}

Deno.test("reports: an unexpected error reaches Sentry's envelope endpoint without personal data", async () => {
  const t = member();
  const envelopes = fakeSentry(t.net);
  configureReports({ dsn: DSN, environment: "test", release: "2026.12.2", fetch: t.net.fetch });
  try {
    const cases: (() => Error)[] = [
      () => new PostgresError(`invalid input syntax for type uuid: "${EMAIL}"`),
      () =>
        new PostgresError(
          `new row for relation "affirmations" violates check constraint. Failing row contains ` +
            `(${AI_MEMBER}, ${EMAIL}, ${NAME}, ${AFFIRMATION})`,
        ),
      () => new Error(`request to https://api.example/x failed: Authorization: Bearer ${TOKEN} for ${EMAIL}`),
      () => new TypeError(`Cannot read properties of undefined (reading '${AFFIRMATION}')`),
      () => new SyntaxError(`Unexpected token 'C', "${NAME} <${EMAIL}> ${AFFIRMATION}" is not valid JSON`),
    ];
    for (const make of cases) {
      // made where the database call fails, so the stack runs through the handler
      t.db.saveAffirmations = () => Promise.reject(make());
      const res = await makeGenerateAffirmationsHandler(t.deps)(t.request());
      assertEquals(res.status, 500);
      assertEquals((await res.json()).error.code, "internal");
    }
    assertEquals(envelopes.length, cases.length);
    for (const [i, env] of envelopes.entries()) {
      for (const secret of [EMAIL, NAME, "Chris", "Tester", TOKEN, TOKEN.split(".")[1], AFFIRMATION, "keep my word"]) {
        assert(!env.body.includes(secret), `envelope ${i} contains ${secret}: ${env.body}`);
      }
      assert(!env.body.includes(AI_MEMBER), `envelope ${i} names the member's id`);
      assertEquals(env.headers.get("Content-Type"), "application/x-sentry-envelope");
      // still useful: the error's kind, its scrubbed message, where it happened
      const [header, item, payload] = env.body.trimEnd().split("\n");
      const event = JSON.parse(payload);
      assertEquals(JSON.parse(header).event_id, event.event_id);
      assertEquals(JSON.parse(item).type, "event");
      assertEquals(JSON.parse(item).length, new TextEncoder().encode(payload).length);
      assertEquals([event.environment, event.release, event.tags.function], [
        "test",
        "2026.12.2",
        "generate-affirmations",
      ]);
      assertEquals(event.exception.values[0].type, cases[i]().constructor.name);
      assert(
        event.exception.values[0].stacktrace.frames.some((f: { filename: string }) =>
          f.filename === "generate-affirmations/handler.ts"
        ),
      );
      assertEquals(event.request, undefined);
      assertEquals(event.user, undefined);
      assertEquals(event.extra, undefined);
    }
    const values = envelopes.map((e) => JSON.parse(e.body.trimEnd().split("\n")[2]).exception.values[0].value);
    assertEquals(values[0], 'invalid input syntax for type uuid: "[redacted]"');
    assertMatch(values[1], /violates check constraint\. Failing row contains \[redacted\]$/);
    assertMatch(
      values[2],
      /^request to https:\/\/api\.example\/x failed: Authorization: Bearer \[token\] for \[email\]$/,
    );
  } finally {
    configureReports(null);
  }
});

Deno.test("reports: expected errors (4xx) are not reported; reports off without a DSN", async () => {
  const net = new FakeFetch();
  const envelopes = fakeSentry(net);
  configureReports({ dsn: DSN, fetch: net.fetch });
  try {
    const handler = route(() => Promise.reject(new HttpError(400, "invalid_request", `bad ${EMAIL}`)));
    assertEquals((await handler(new Request("http://x/f", { method: "POST" }))).status, 400);
    assertEquals(envelopes.length, 0);
    configureReports(null);
    const failing = route(() => Promise.reject(new Error("boom")));
    assertEquals((await failing(new Request("http://x/f", { method: "POST" }))).status, 500);
    assertEquals(net.requests.length, 0);
  } finally {
    configureReports(null);
  }
});

Deno.test("reports: an ingestion endpoint that fails or hangs never changes the member's answer", async () => {
  const net = new FakeFetch();
  const envelopes = fakeSentry(net, 503);
  configureReports({ dsn: DSN, fetch: net.fetch });
  try {
    const failing = route(() => Promise.reject(new Error("boom")));
    const res = await failing(new Request("http://x/f", { method: "POST" }));
    assertEquals([res.status, (await res.json()).error.code], [500, "internal"]);
    assertEquals(envelopes.length, 1);
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
    configureReports({ dsn: DSN, fetch: hanging, timeoutMs: 20 });
    assertEquals(await reportError(new Error("boom")), false);
  } finally {
    configureReports(null);
  }
});

Deno.test("reports: the DSN's rules (key, host, path, project) and the envelope's byte length", () => {
  assertEquals(parseDsn("https://abc@o1.ingest.sentry.io/42"), {
    publicKey: "abc",
    envelopeUrl: "https://o1.ingest.sentry.io/api/42/envelope/",
  });
  assertEquals(
    parseDsn("http://key:secret@sentry.local:9000/sub/path/7").envelopeUrl,
    "http://sentry.local:9000/sub/path/api/7/envelope/",
  );
  for (const bad of ["https://o1.ingest.sentry.io/42", "https://abc@o1.ingest.sentry.io/", "ftp://a@b/1"]) {
    let threw = false;
    try {
      parseDsn(bad);
    } catch {
      threw = true;
    }
    assert(threw, bad);
  }
  const text = envelope({ event_id: "e1", message: "é" } as { event_id: string }, DSN);
  const [, item, payload] = text.trimEnd().split("\n");
  assertEquals(JSON.parse(item).length, new TextEncoder().encode(payload).length);
  assert(JSON.parse(item).length > payload.length); // bytes, not characters
});

Deno.test("reports: the scrubber keeps the shape of a message and drops its values", () => {
  assertEquals(
    scrubMessage('duplicate key value violates unique constraint "x_pkey"\nDETAIL: Key (id)=(1)'),
    'duplicate key value violates unique constraint "[redacted]"',
  );
  assertEquals(
    scrubMessage(`user ${AI_MEMBER} with key sk_live_abcDEF123 and whsec_xyz`),
    "user [id] with key [key] and [key]",
  );
  assertEquals(scrubMessage("x".repeat(500)).length <= 300, true);
  assertEquals(scrubMessage("connection reset"), "connection reset");
});
