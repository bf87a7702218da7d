import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ensureDirectory, fsyncDirectory } from "./durable-directory.js";

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /**
   * Flush the temporary file before the rename and the directory after it, so that after a crash or
   * power loss the path holds either the complete old or the complete new content. Without it the
   * rename is still atomic against other processes and a crash of this one, not against power loss.
   * @default true
   */
  fsync?: boolean;
  /** File mode of the new file. @default 0o644 */
  mode?: number;
}

/**
 * Replaces `path` with `data` atomically: writes a temporary file `.<name>.<random>.tmp` in the same
 * directory (names starting with '.' are never valid store names, so it cannot collide or be listed),
 * flushes it, renames it over `path`, then flushes the directory. Creates missing directories. The
 * temporary file is removed when any step fails.
 * @param data bytes, or a string written as UTF-8.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const fsync = options.fsync ?? true;
  const directory = dirname(path);
  await ensureDirectory(directory, { fsync });
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temporary, "wx", options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
  if (fsync) await fsyncDirectory(directory);
}
