import { createReadStream } from "node:fs";

/**
 * The lines of a UTF-8 file, split on "\n" only (JSON Lines: U+2028, U+2029 and "\r" may appear raw
 * inside JSON strings, so `node:readline`, which also splits on those, cannot be used), streamed with
 * memory bounded by the longest line. A final line without "\n" is yielded too; an empty file yields nothing.
 */
export async function* fileLines(file: string): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, end));
      yield Buffer.concat(pending).toString("utf8");
      pending = [];
      start = end + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) yield Buffer.concat(pending).toString("utf8");
}
