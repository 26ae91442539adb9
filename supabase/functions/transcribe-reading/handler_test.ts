import { assertEquals } from "../_shared/testing/assert.ts";
import { AI_MEMBER, aiSetup } from "../_shared/testing/ai_setup.ts";
import { jsonResponse } from "../_shared/testing/fake_fetch.ts";
import { hangingFetch, OPENAI_KEY } from "../_shared/testing/fake_openai.ts";
import { makeTranscribeReadingHandler, MAX_SECONDS, oggOpusSeconds, type TranscribeDeps } from "./handler.ts";
import { READING_OGG_BASE64 } from "./testing_reading.ts";

const READING = Uint8Array.from(atob(READING_OGG_BASE64), (c) => c.charCodeAt(0));
const TRANSCRIPT = "I keep my word to myself. I act before I feel ready.";
const QUOTA_KEY = `${AI_MEMBER}/transcribe_reading`;

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  form: FormData;
}

/** OpenAI's audio transcription endpoint at the fetch boundary: POST
 * https://api.openai.com/v1/audio/transcriptions, multipart/form-data, answering `answer()`
 * (by default the documented `response_format=json` shape, {"text"}); every request is kept
 * parsed as the multipart form it is. Other URLs (Supabase Auth) go to the shared fake. */
function setup(answer: () => Response | Promise<Response> = () => jsonResponse({ text: TRANSCRIPT })) {
  const t = aiSetup(null);
  const sent: Sent[] = [];
  let respond = answer;
  const fetchFn: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    if (!req.url.startsWith("https://api.openai.com/")) return t.net.fetch(req);
    if (req.url !== "https://api.openai.com/v1/audio/transcriptions") {
      return jsonResponse({ error: { message: "Unknown request URL", type: "invalid_request_error" } }, 404);
    }
    sent.push({ url: req.url, method: req.method, headers: req.headers, form: await req.formData() });
    if (req.headers.get("Authorization") !== `Bearer ${OPENAI_KEY}`) {
      return jsonResponse({
        error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" },
      }, 401);
    }
    return await respond();
  };
  const deps: TranscribeDeps = { ...t.deps, model: "gpt-4o-mini-transcribe", fetch: fetchFn };
  const request = (body: unknown, token: string | null = "member-token", headers: Record<string, string> = {}) =>
    new Request("http://localhost/transcribe-reading", {
      method: "POST",
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify(body),
    });
  return {
    ...t,
    deps,
    sent,
    request,
    handler: (extra: Partial<TranscribeDeps> = {}) => makeTranscribeReadingHandler({ ...deps, ...extra }),
    answer: (r: () => Response | Promise<Response>) => {
      respond = r;
    },
  };
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The real reading with its last granule position rewritten to `seconds` (and the pre-skip). */
function lasting(seconds: number): Uint8Array {
  const b = READING.slice();
  const view = new DataView(b.buffer);
  const preSkip = view.getUint16(28 + 10, true); // first page: 27-byte header + 1 segment, then OpusHead
  for (let i = b.length - 27; i > 0; i--) {
    if (b[i] === 0x4f && b[i + 1] === 0x67 && b[i + 2] === 0x67 && b[i + 3] === 0x53) {
      view.setBigInt64(i + 6, BigInt(Math.round(seconds * 48000) + preSkip), true);
      return b;
    }
  }
  throw new Error("no last page");
}

Deno.test("transcribe: the container gives the reading's length", () => {
  assertEquals(oggOpusSeconds(READING), 1.5);
  assertEquals(oggOpusSeconds(lasting(901)), 901);
  assertEquals(oggOpusSeconds(new TextEncoder().encode("RIFF....WAVEfmt " + " ".repeat(60))), null);
  assertEquals(oggOpusSeconds(READING.subarray(0, 20)), null);
});

Deno.test("transcribe: the reading goes to OpenAI as the documented multipart request; the transcript comes back", async () => {
  const t = setup();
  const res = await t.handler()(t.request({ audio: READING_OGG_BASE64 }));
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { text: TRANSCRIPT, duration_s: 1.5 });
  assertEquals(t.sent.length, 1);
  const [call] = t.sent;
  assertEquals([call.method, call.url], ["POST", "https://api.openai.com/v1/audio/transcriptions"]);
  assertEquals(call.headers.get("Authorization"), `Bearer ${OPENAI_KEY}`);
  assertEquals(/^multipart\/form-data; boundary=/.test(call.headers.get("Content-Type") ?? ""), true);
  assertEquals([...call.form.keys()].sort(), ["file", "model", "response_format"]);
  assertEquals(call.form.get("model"), "gpt-4o-mini-transcribe");
  assertEquals(call.form.get("response_format"), "json");
  const file = call.form.get("file") as File;
  assertEquals([file.name, file.type], ["reading.ogg", "audio/ogg"]);
  assertEquals(new Uint8Array(await file.arrayBuffer()), READING); // the exact bytes
  assertEquals(t.db.quota.get(QUOTA_KEY), 1);
});

Deno.test("transcribe: silence gives an empty transcript, not an error", async () => {
  const t = setup(() => jsonResponse({ text: "" }));
  const res = await t.handler()(t.request({ audio: READING_OGG_BASE64 }));
  assertEquals([res.status, (await res.json()).text], [200, ""]);
});

Deno.test("transcribe: the daily quota is enforced (429) without calling the provider", async () => {
  const t = setup();
  const handler = t.handler();
  for (let i = 0; i < 3; i++) assertEquals((await handler(t.request({ audio: READING_OGG_BASE64 }))).status, 200);
  const res = await handler(t.request({ audio: READING_OGG_BASE64 }));
  assertEquals(res.status, 429);
  const body = await res.json();
  assertEquals(body.error.code, "quota_exceeded");
  assertEquals(body.error.message, "You have used today's 3 AI requests for this feature. More tomorrow.");
  assertEquals(t.sent.length, 3);
});

Deno.test("transcribe: provider down, busy, unreachable or hung: a clear error and the quota unit back", async () => {
  const cases: [() => Response | Promise<Response>, number, string, string][] = [
    [
      () => jsonResponse({ error: { message: "The server had an error", type: "server_error" } }, 500),
      502,
      "ai_unavailable",
      "The transcription service is unavailable right now. Please try again later.",
    ],
    [
      () =>
        jsonResponse({ error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }, 429),
      502,
      "ai_unavailable",
      "The transcription service is busy right now. Please try again in a minute.",
    ],
    [
      () => jsonResponse({ error: { message: "Audio file might be corrupted", type: "invalid_request_error" } }, 400),
      422,
      "audio_unreadable",
      "The transcription service could not read this recording.",
    ],
    [
      () => jsonResponse({ transcript: "no text field" }),
      502,
      "ai_invalid_output",
      "The transcription service gave an unusable answer. Please try again.",
    ],
    [
      () => Promise.reject(new TypeError("error sending request: connection refused")),
      502,
      "ai_unavailable",
      "The transcription service is unreachable right now. Please try again later.",
    ],
  ];
  for (const [answer, status, code, message] of cases) {
    const t = setup(answer);
    const res = await t.handler()(t.request({ audio: READING_OGG_BASE64 }));
    assertEquals([res.status, await res.json()], [status, { error: { code, message } }], code);
    assertEquals(t.sent.length, 1);
    assertEquals(t.db.quota.get(QUOTA_KEY), 0);
  }
  const t = setup();
  const res = await t.handler({ fetch: hangingFetch, timeoutMs: 20 })(t.request({ audio: READING_OGG_BASE64 }));
  assertEquals([res.status, (await res.json()).error.code], [504, "ai_timeout"]);
  assertEquals(t.db.quota.get(QUOTA_KEY), 0);
});

Deno.test("transcribe: a reading longer than the limit is refused before any quota or provider call", async () => {
  const t = setup();
  let res = await t.handler()(t.request({ audio: base64(lasting(MAX_SECONDS + 1)) }));
  assertEquals(res.status, 413);
  assertEquals((await res.json()).error, {
    code: "audio_too_long",
    message: "This reading is too long to check: readings up to 15 minutes can be checked.",
  });
  // exactly the limit is accepted
  res = await t.handler()(t.request({ audio: base64(lasting(MAX_SECONDS)) }));
  assertEquals([res.status, (await res.json()).duration_s], [200, MAX_SECONDS]);
  assertEquals([t.sent.length, t.db.quota.get(QUOTA_KEY)], [1, 1]);
});

Deno.test("transcribe: audio larger than OpenAI accepts is refused (413), by its size or by the declared body", async () => {
  const t = setup();
  let res = await t.handler({ maxAudioBytes: READING.length - 1 })(t.request({ audio: READING_OGG_BASE64 }));
  assertEquals([res.status, (await res.json()).error.code], [413, "audio_too_large"]);
  res = await t.handler()(t.request({ audio: "" }, "member-token", { "Content-Length": String(40 * 1024 * 1024) }));
  assertEquals(res.status, 413);
  assertEquals((await res.json()).error, {
    code: "audio_too_large",
    message: "This reading is too large to check (the limit is 25 MB).",
  });
  assertEquals([t.sent.length, t.db.quota.size], [0, 0]);
});

Deno.test("transcribe: not signed in is 401; bad input is 400; neither uses quota nor calls the provider", async () => {
  const t = setup();
  const handler = t.handler();
  for (const token of [null, "bad-token"]) {
    const res = await handler(t.request({ audio: READING_OGG_BASE64 }, token));
    assertEquals([res.status, (await res.json()).error.code], [401, "unauthorized"]);
  }
  const wav = new TextEncoder().encode("RIFF\x24\x00\x00\x00WAVEfmt " + "\x00".repeat(40));
  const notOpus = READING.slice();
  notOpus.set(new TextEncoder().encode("OpusHexx"), 28);
  for (
    const [body, code] of [
      [{}, "invalid_request"],
      [{ audio: 42 }, "invalid_request"],
      [{ audio: "not base64 at all!" }, "invalid_request"],
      [{ audio: base64(wav) }, "invalid_audio"],
      [{ audio: base64(notOpus) }, "invalid_audio"],
    ] as const
  ) {
    const res = await handler(t.request(body));
    assertEquals([res.status, (await res.json()).error.code], [400, code], JSON.stringify(body).slice(0, 40));
  }
  assertEquals([t.sent.length, t.db.quota.size], [0, 0]);
});
