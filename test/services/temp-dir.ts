import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temporary data directory `pluto-<label>-XXXXXX` and a function removing it. */
export async function tempDataDir(label: string): Promise<{ dataDir: string; cleanup(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), `pluto-${label}-`));
  return { dataDir, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}
