import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/**
 * A pass-through byte stream that hashes what flows through it and, at the end, fails with
 * `mismatch()` when the hex SHA-256 differs from `expected` (the last chunk is held back until the
 * check passes, so a consumer never sees a clean end of a corrupt body).
 */
export class Sha256CheckStream extends Transform {
  readonly #hash = createHash("sha256");
  readonly #expected: string;
  readonly #mismatch: (actual: string) => Error;
  #held: Buffer | undefined;

  /** @param options.expected hex SHA-256; @param options.mismatch builds the error for the actual hash. */
  constructor(options: { expected: string; mismatch: (actual: string) => Error }) {
    super();
    this.#expected = options.expected;
    this.#mismatch = options.mismatch;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    const previous = this.#held;
    this.#held = chunk;
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.#hash.digest("hex");
    if (actual !== this.#expected) {
      callback(this.#mismatch(actual));
      return;
    }
    callback(null, this.#held);
  }
}
