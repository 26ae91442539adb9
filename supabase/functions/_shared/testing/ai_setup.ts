import { supabaseAuthenticator } from "../auth.ts";
import type { AiDeps } from "../ai.ts";
import { MemoryDb } from "./memory_db.ts";
import { ANON_KEY, FakeFetch, fakeSupabaseAuth, jsonResponse, SUPABASE_URL } from "./fake_fetch.ts";
import { completion, fakeOpenAI, OPENAI_KEY } from "./fake_openai.ts";

export const AI_MEMBER = "0a4b4a9e-5c57-4f7b-8d7e-3b9f1d2c0b77";

/** Deps for an AI handler: a member signed in as "member-token", OpenAI answering `answer`. */
export function aiSetup(answer: unknown) {
  const db = new MemoryDb();
  db.addMember(AI_MEMBER, "chris@example.com");
  const net = new FakeFetch();
  fakeSupabaseAuth(net, { "member-token": { id: AI_MEMBER, email: "chris@example.com" } });
  let next: () => Response = () => jsonResponse(completion(answer));
  fakeOpenAI(net, () => next());
  const deps: AiDeps & { db: MemoryDb } = {
    db,
    authenticate: supabaseAuthenticator(SUPABASE_URL, ANON_KEY, net.fetch),
    openaiKey: OPENAI_KEY,
    model: "gpt-test-model",
    dailyLimit: 3,
    timeoutMs: 200,
    fetch: net.fetch,
  };
  const setAnswer = (respond: () => Response) => {
    next = respond;
  };
  const request = (body: unknown = {}, token = "member-token") =>
    new Request("http://localhost/ai", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const openaiCalls = () => net.to(/api\.openai\.com/).map((r) => JSON.parse(r.body));
  return { db, net, deps, setAnswer, request, openaiCalls };
}
