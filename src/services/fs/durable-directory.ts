import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Flushes a directory's entries (new, renamed or removed files) to stable storage, so a file created
 * or renamed into it survives a power loss. POSIX needs this in addition to fsync on the file.
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `directory` and any missing parents. With `fsync`, also flushes the parent of every
 * directory it created, so the new path survives a power loss.
 * @param options.fsync flush parents of created directories. @default true
 */
export async function ensureDirectory(directory: string, options: { fsync?: boolean } = {}): Promise<void> {
  const first = await mkdir(directory, { recursive: true });
  if (first === undefined || options.fsync === false) return;
  const created: string[] = [];
  for (let current = directory; ; current = dirname(current)) {
    created.push(current);
    if (current === first || dirname(current) === current) break;
  }
  for (const path of created) await fsyncDirectory(dirname(path));
}
