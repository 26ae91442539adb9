// OpenAI Chat Completions at the fetch boundary: POST https://api.openai.com/v1/chat/completions,
// answering with the documented response shape; the content is what the test sets.
import { FakeFetch, jsonResponse } from "./fake_fetch.ts";

export const OPENAI_KEY = "sk-test-openai";

export function completion(content: unknown, extra: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1795700000,
    model: "gpt-test",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: typeof content === "string" ? content : JSON.stringify(content),
        refusal: null,
        ...extra,
      },
      logprobs: null,
      finish_reason: "stop",
    }],
    usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
  };
}

export function fakeOpenAI(net: FakeFetch, answer: () => Response): FakeFetch {
  return net.on("POST", /^https:\/\/api\.openai\.com\/v1\/chat\/completions$/, (req) => {
    if (req.headers.get("Authorization") !== `Bearer ${OPENAI_KEY}`) {
      return jsonResponse({
        error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" },
      }, 401);
    }
    return answer();
  });
}

/** A fetch that never answers until the request is aborted (a hung provider). */
export const hangingFetch: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
  });
