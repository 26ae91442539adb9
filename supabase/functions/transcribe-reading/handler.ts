// POST /transcribe-reading (member JWT), body {"audio": base64 of the morning reading as the app
// saves it (Ogg/Opus)} → {"text": the transcript, "duration_s": the audio's length}: the
// read-aloud check. The audio goes to OpenAI's audio transcription API (multipart/form-data:
// `file`, `model`, `response_format` "json" → {"text"}); each call takes one unit of the member's
// daily AI quota under 'transcribe_reading' and gives it back when the provider fails. Nothing is
// saved here: the app compares the transcript with the affirmations itself.
//
// Checked before any quota is used: the body is not larger than OpenAI accepts (25 MB of audio),
// the audio is Ogg/Opus, and it lasts at most MAX_SECONDS (read from the Ogg container: the
// last page's granule position less the Opus pre-skip, in 48 kHz samples).
import type { Member } from "../_shared/auth.ts";
import { type AiDeps, makeAiHandler, providerErrorKind } from "../_shared/ai.ts";
import { errorResponse, HttpError } from "../_shared/http.ts";
import { logger } from "../_shared/log.ts";

export const TRANSCRIPTIONS_URL = "https://api.openai.com/v1/audio/transcriptions";
export const FEATURE = "transcribe_reading";
/** OpenAI's limit for one audio file. */
export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;
/** The app's default longest reading (Settings → Recording); longer readings are not checked. */
export const MAX_SECONDS = 15 * 60;

export interface TranscribeDeps extends AiDeps {
  /** Overrides for tests; the defaults are MAX_AUDIO_BYTES and MAX_SECONDS. */
  maxAudioBytes?: number;
  maxSeconds?: number;
}

export interface Reading {
  audio: Uint8Array<ArrayBuffer>;
  seconds: number;
}

const OPUS_GRANULE_RATE = 48_000; // Opus granule positions count 48 kHz samples, whatever the input rate

function isPageStart(b: Uint8Array, i: number): boolean {
  // "OggS", stream structure version 0
  return b[i] === 0x4f && b[i + 1] === 0x67 && b[i + 2] === 0x67 && b[i + 3] === 0x53 && b[i + 4] === 0;
}

/** The length in seconds of an Ogg/Opus file, from its container; null when it is not one. */
export function oggOpusSeconds(b: Uint8Array): number | null {
  if (b.length < 27 + 19 || !isPageStart(b, 0)) return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const serial = view.getUint32(14, true);
  const head = 27 + b[26]; // after the segment table
  if (b.length < head + 19 || new TextDecoder().decode(b.subarray(head, head + 8)) !== "OpusHead") return null;
  const preSkip = view.getUint16(head + 10, true);
  // The last page of the stream that ends a packet carries the final granule position.
  for (let i = b.length - 27; i > 0; i--) {
    if (!isPageStart(b, i) || view.getUint32(i + 14, true) !== serial) continue;
    const granule = view.getBigInt64(i + 6, true);
    if (granule < 0n) continue; // -1: no packet ends on this page
    return Math.max(0, Number(granule) - preSkip) / OPUS_GRANULE_RATE;
  }
  return null;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function minutes(seconds: number): string {
  return `${Math.round(seconds / 60)} minutes`;
}

export function parseReading(body: Record<string, unknown>, maxBytes: number, maxSeconds: number): Reading {
  const encoded = body.audio;
  if (typeof encoded !== "string" || encoded.length === 0) {
    throw new HttpError(400, "invalid_request", '"audio" is required: the reading as base64 of its Ogg/Opus file.');
  }
  const audio = decodeBase64(encoded);
  if (audio === null) throw new HttpError(400, "invalid_request", '"audio" is not valid base64.');
  if (audio.length > maxBytes) {
    throw new HttpError(413, "audio_too_large", "This reading is too large to check (the limit is 25 MB).");
  }
  const seconds = oggOpusSeconds(audio);
  if (seconds === null) {
    throw new HttpError(400, "invalid_audio", "The reading must be an Ogg/Opus file, as the app saves it.");
  }
  if (seconds > maxSeconds) {
    throw new HttpError(
      413,
      "audio_too_long",
      `This reading is too long to check: readings up to ${minutes(maxSeconds)} can be checked.`,
    );
  }
  return { audio, seconds };
}

/** Sends the audio to OpenAI's transcription endpoint and returns the transcript. */
export async function transcribe(deps: AiDeps, reading: Reading): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([reading.audio], { type: "audio/ogg" }), "reading.ogg");
  form.append("model", deps.model);
  form.append("response_format", "json");
  let res: Response;
  try {
    res = await (deps.fetch ?? fetch)(TRANSCRIPTIONS_URL, {
      method: "POST",
      headers: { Authorization: `Bearer ${deps.openaiKey}` }, // fetch sets the multipart Content-Type and boundary
      body: form,
      signal: AbortSignal.timeout(deps.timeoutMs ?? 120_000),
    });
  } catch (err) {
    if (err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError")) {
      throw new HttpError(504, "ai_timeout", "Transcribing your reading took too long. Please try again later.");
    }
    throw new HttpError(
      502,
      "ai_unavailable",
      "The transcription service is unreachable right now. Please try again later.",
    );
  }
  if (!res.ok) {
    const detail = await res.text().catch(() => "");
    logger()(`openai transcription ${res.status}: ${providerErrorKind(detail)}`);
    if (res.status === 400) {
      throw new HttpError(422, "audio_unreadable", "The transcription service could not read this recording.");
    }
    if (res.status === 413) {
      throw new HttpError(413, "audio_too_large", "This reading is too large to check (the limit is 25 MB).");
    }
    throw new HttpError(
      502,
      "ai_unavailable",
      res.status === 429
        ? "The transcription service is busy right now. Please try again in a minute."
        : "The transcription service is unavailable right now. Please try again later.",
    );
  }
  let text: unknown;
  try {
    text = (await res.json())?.text;
  } catch {
    text = undefined;
  }
  if (typeof text !== "string") {
    throw new HttpError(
      502,
      "ai_invalid_output",
      "The transcription service gave an unusable answer. Please try again.",
    );
  }
  return text.trim();
}

export function makeTranscribeReadingHandler(deps: TranscribeDeps): (req: Request) => Promise<Response> {
  const maxBytes = deps.maxAudioBytes ?? MAX_AUDIO_BYTES;
  const maxSeconds = deps.maxSeconds ?? MAX_SECONDS;
  // base64 of maxBytes and room for the JSON around it
  const maxBody = Math.ceil(maxBytes / 3) * 4 + 1024;
  const handler = makeAiHandler(
    deps,
    FEATURE,
    (body) => parseReading(body, maxBytes, maxSeconds),
    async (_member: Member, reading: Reading) => ({
      text: await transcribe(deps, reading),
      duration_s: Math.round(reading.seconds * 1000) / 1000,
    }),
  );
  return (req) => {
    // A body that cannot hold an acceptable reading is refused before it is read.
    if (req.method === "POST" && Number(req.headers.get("Content-Length") ?? 0) > maxBody) {
      return errorResponse(
        new HttpError(413, "audio_too_large", "This reading is too large to check (the limit is 25 MB)."),
      );
    }
    return handler(req);
  };
}
