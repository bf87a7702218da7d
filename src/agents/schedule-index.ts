import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { AGENT_FILE_NAME } from "./load-agent.js";

/**
 * Which agents of a folder may have `spec.schedules`, without loading them: the scheduler asks this every
 * few seconds, and loading every agent of a large folder each time would cost seconds of CPU and evict the
 * agent cache the runs use (measured in docs/benchmarks.md, "Scheduler"). Each `agent.yaml` is read again
 * only when its stat stamp (mtime, size, ctime, inode) changed; the test is a superset (any `schedules:`
 * in the text), so an agent named here may still have none once loaded, but none with schedules is missed.
 */
export class ScheduleIndex {
  readonly #agentsDir: string;
  readonly #entries = new Map<string, { stamp: string; mentions: boolean }>();

  /** @param agentsDir the folder holding one folder per agent */
  constructor(agentsDir: string) {
    this.#agentsDir = agentsDir;
  }

  /** The names among `names` whose `agent.yaml` mentions `schedules:`; forgets the names not given. */
  candidates(names: readonly string[]): string[] {
    const listed = new Set(names);
    for (const name of this.#entries.keys()) if (!listed.has(name)) this.#entries.delete(name);
    return names.filter((name) => this.#mentionsSchedules(name));
  }

  #mentionsSchedules(name: string): boolean {
    const file = path.join(this.#agentsDir, name, AGENT_FILE_NAME);
    const info = statSync(file, { throwIfNoEntry: false });
    if (info === undefined) {
      this.#entries.delete(name);
      return false;
    }
    const stamp = `${info.mtimeMs}:${info.size}:${info.ctimeMs}:${info.ino}`;
    const held = this.#entries.get(name);
    if (held?.stamp === stamp) return held.mentions;
    let mentions = false;
    try {
      mentions = /\bschedules\s*:/.test(readFileSync(file, "utf8"));
    } catch {
      // Unreadable now (being replaced): asked again next time, as its stamp is not kept.
      return false;
    }
    this.#entries.set(name, { stamp, mentions });
    return mentions;
  }
}
