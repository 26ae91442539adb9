// How an export is cut into parts and how one part is written. Pure: no network here.
//
// Every entry is stored (not deflated: audio and images are compressed already, and a stored
// entry's size is known before it is written), so a part's size is computed exactly from the
// sizes Storage lists: see entryBytes. That lets the whole plan, and so every part's name and
// data.json's list of parts, be fixed before the first byte is downloaded.
import { strToU8, Zip, ZipPassThrough } from "fflate";

/** The end-of-central-directory record every zip ends with. */
export const ZIP_END_BYTES = 22;

/** What one stored entry adds to a zip written by fflate's streaming Zip: local header
 * (30 + name), the data, data descriptor (16), central directory record (46 + name). */
export function entryBytes(path: string, size: number): number {
  const name = strToU8(path).length;
  return 30 + name + size + 16 + 46 + name;
}

export interface ListedFile {
  bucket: string;
  name: string; // full object name, `<user_id>/…`
  path: string; // path in the archive, `<bucket>/…`
  size: number; // as Storage lists it
}

export interface Plan {
  /** parts[0] is part 1 (data.json, README.txt and the first files), and so on. */
  parts: ListedFile[][];
  /** Files larger than any part can be (the bucket's per-object limit). */
  tooLarge: ListedFile[];
}

/**
 * Files into parts in the order given, never splitting a file: each part's files fill up to
 * `budget` bytes of zip (part 1 `reserve` bytes less, kept for data.json and README.txt). A
 * file that alone exceeds `budget` gets a part of its own when it fits `limit`; one that does
 * not fit `limit` either is in `tooLarge`.
 */
export function packParts(files: ListedFile[], budget: number, limit: number, reserve: number): Plan {
  const parts: ListedFile[][] = [[]];
  const used = [ZIP_END_BYTES + reserve];
  let current = 0;
  const tooLarge: ListedFile[] = [];
  for (const f of files) {
    const size = entryBytes(f.path, f.size);
    if (ZIP_END_BYTES + size > budget) {
      if (ZIP_END_BYTES + size > limit) tooLarge.push(f);
      else parts.push([f]), used.push(ZIP_END_BYTES + size); // its own part; the current one stays open
      continue;
    }
    if (used[current] + size > budget) {
      parts.push([]), used.push(ZIP_END_BYTES);
      current = parts.length - 1;
    }
    parts[current].push(f);
    used[current] += size;
  }
  return { parts, tooLarge };
}

/**
 * The plan with room in part 1 for the documents, whose size depends on the plan (they list
 * every part and file): `docsBytes(plan)` is their exact size for that plan. Moving files out of
 * part 1 only lengthens the documents by a few part numbers, so this settles in a pass or two;
 * `slack` covers what the documents gain when files change during the export.
 */
export function planParts(
  files: ListedFile[],
  budget: number,
  limit: number,
  docsBytes: (plan: Plan) => number,
  slack = 16 * 1024,
): Plan {
  let reserve = 0;
  for (let i = 0; i < 8; i++) {
    const plan = packParts(files, budget, limit, reserve);
    const need = docsBytes(plan);
    if (need <= reserve) return plan;
    reserve = need + slack;
  }
  throw new Error("export plan did not settle");
}

/**
 * One part's zip, written into one buffer sized for the plan. Each added file's bytes are copied
 * in at once and not kept, so the caller can drop a file as soon as add() returns: memory is this
 * buffer plus the one file being added.
 */
export class PartWriter {
  private buf: Uint8Array<ArrayBuffer>;
  private len = 0;
  private readonly zip: Zip;
  private central = ZIP_END_BYTES; // what end() will still write: central directory + end record

  constructor(capacity: number, private readonly mtime: Date) {
    this.buf = new Uint8Array(capacity);
    this.zip = new Zip((err, chunk) => {
      if (err) throw err;
      this.write(chunk);
    });
  }

  private write(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) { // a file grew since it was listed
      const bigger = new Uint8Array(Math.max(this.len + chunk.length, Math.ceil(this.buf.length * 1.25)));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  /** The part's size once finished, if `path` of `size` bytes were added now. */
  sizeWith(path: string, size: number): number {
    return this.len + this.central + entryBytes(path, size);
  }

  /** The part's size if it were finished now. */
  get size(): number {
    return this.len + this.central;
  }

  /** Adds one stored entry (fflate's streaming Zip calls back synchronously for stored data). */
  add(path: string, data: Uint8Array): void {
    const file = new ZipPassThrough(path);
    file.mtime = this.mtime;
    this.zip.add(file);
    file.push(data, true);
    this.central += 46 + strToU8(path).length;
  }

  /** The finished zip (a view of the buffer, no copy). */
  finish(): Uint8Array<ArrayBuffer> {
    this.zip.end();
    return this.buf.subarray(0, this.len);
  }

  /** Lets the buffer go even while something still holds this writer (a suspended async
   * function's saved registers can, until the next part's buffer has been allocated). */
  release(): void {
    this.buf = new Uint8Array(0);
    this.len = 0;
  }
}
