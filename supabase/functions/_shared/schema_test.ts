import { assertEquals } from "./testing/assert.ts";
import { providerSchema, type Schema, validate } from "./schema.ts";

const S: Schema = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 5 },
    n: { type: "integer", minimum: 1, maximum: 3 },
    tags: { type: "array", minItems: 1, maxItems: 2, items: { type: "string", enum: ["a", "b"] } },
  },
  required: ["name", "n", "tags"],
  additionalProperties: false,
};

Deno.test("schema: valid values pass", () => {
  assertEquals(validate(S, { name: "ok", n: 2, tags: ["a"] }), []);
});

Deno.test("schema: each rule is enforced", () => {
  assertEquals(validate(S, null), ["$: expected object"]);
  assertEquals(validate(S, { name: "", n: 2, tags: ["a"] }), ["$.name: shorter than 1"]);
  assertEquals(validate(S, { name: "toolong", n: 2, tags: ["a"] }), ["$.name: longer than 5"]);
  assertEquals(validate(S, { name: "x", n: 4, tags: ["a"] }), ["$.n: above 3"]);
  assertEquals(validate(S, { name: "x", n: 1.5, tags: ["a"] }), ["$.n: expected integer"]);
  assertEquals(validate(S, { name: "x", n: 1, tags: [] }), ["$.tags: fewer than 1 items"]);
  assertEquals(validate(S, { name: "x", n: 1, tags: ["a", "b", "a"] }), ["$.tags: more than 2 items"]);
  assertEquals(validate(S, { name: "x", n: 1, tags: ["c"] }), ["$.tags[0]: not one of a, b"]);
  assertEquals(validate(S, { name: "x", n: 1 }), ["$.tags: required"]);
  assertEquals(validate(S, { name: "x", n: 1, tags: ["a"], more: 1 }), ["$.more: not allowed"]);
});

Deno.test("schema: the provider schema is strict-mode shaped (all required, no extra keys, no bounds)", () => {
  assertEquals(providerSchema(S), {
    type: "object",
    properties: {
      name: { type: "string" },
      n: { type: "integer" },
      tags: { type: "array", items: { type: "string", enum: ["a", "b"] } },
    },
    required: ["name", "n", "tags"],
    additionalProperties: false,
  });
});
