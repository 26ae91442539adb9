import { unzipSync } from "fflate";
import { assertEquals } from "../_shared/testing/assert.ts";
import { entryBytes, type ListedFile, packParts, PartWriter, planParts, ZIP_END_BYTES } from "./parts.ts";

const file = (path: string, size: number): ListedFile => ({ bucket: "recordings", name: `m/${path}`, path, size });

Deno.test("parts: a part's size is known exactly before it is written (stored entries, UTF-8 names)", () => {
  const entries: [string, Uint8Array][] = [
    ["recordings/2026-11-30.ogg", new Uint8Array(3000).fill(1)],
    ["vision-boards/tiles/café ☕.jpg", new Uint8Array(17).fill(2)],
    ["empty.txt", new Uint8Array(0)],
  ];
  const expected = entries.reduce((s, [p, d]) => s + entryBytes(p, d.length), ZIP_END_BYTES);
  const part = new PartWriter(10, new Date(Date.UTC(2026, 11, 2))); // too small: it grows
  for (const [p, d] of entries) {
    assertEquals(part.sizeWith(p, d.length), part.size + entryBytes(p, d.length));
    part.add(p, d);
  }
  assertEquals(part.size, expected);
  const zip = part.finish();
  assertEquals(zip.length, expected);
  const back = unzipSync(zip);
  assertEquals(Object.keys(back), entries.map(([p]) => p));
  for (const [p, d] of entries) assertEquals(back[p], d);
});

Deno.test("parts: files fill parts in order up to the budget; an oversized one gets its own; too large ones are set apart", () => {
  const e = (size: number) => entryBytes("a/x.ogg", size); // every path below has this length
  const budget = ZIP_END_BYTES + 2 * e(100); // two 100-byte files a part
  const plan = packParts(
    [
      file("a/1.ogg", 100),
      file("a/2.ogg", 100),
      file("a/3.ogg", 100),
      file("a/B.ogg", 500),
      file("a/4.ogg", 100),
      file("a/H.ogg", 5000),
    ],
    budget,
    ZIP_END_BYTES + e(1000),
    0,
  );
  assertEquals(plan.parts.map((p) => p.map((f) => f.path)), [
    ["a/1.ogg", "a/2.ogg"],
    ["a/3.ogg", "a/4.ogg"], // the current part stays open past the oversized file
    ["a/B.ogg"],
  ]);
  assertEquals(plan.tooLarge.map((f) => f.path), ["a/H.ogg"]);
  // room for the documents in part 1 moves files on
  assertEquals(packParts([file("a/1.ogg", 100), file("a/2.ogg", 100)], budget, budget, e(100)).parts.length, 2);
});

Deno.test("parts: the plan keeps room in part 1 for documents that grow with the plan", () => {
  const files = Array.from({ length: 30 }, (_, i) => file(`a/${String(i).padStart(2, "0")}.ogg`, 100));
  const budget = ZIP_END_BYTES + 10 * entryBytes("a/00.ogg", 100);
  let tries = 0;
  const plan = planParts(files, budget, budget, (p) => (tries++, 50 * p.parts.length + 200), 0);
  const docs = 50 * plan.parts.length + 200;
  const part1 = plan.parts[0].reduce((s, f) => s + entryBytes(f.path, f.size), ZIP_END_BYTES);
  assertEquals(part1 + docs <= budget, true);
  assertEquals(plan.parts.flat().length, 30);
  assertEquals(tries >= 2, true);
});
