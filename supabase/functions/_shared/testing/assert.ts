// Deno's std/assert is on JSR (unreachable here): the same names over node:assert.
import { deepStrictEqual, match, ok } from "node:assert/strict";

export function assert(value: unknown, message?: string): asserts value {
  ok(value, message);
}
export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  deepStrictEqual(actual, expected, message);
}
export function assertMatch(actual: string, re: RegExp, message?: string): void {
  match(actual, re, message);
}
