import type { Scope } from "../core/scope.js";
import type { MemoryContext } from "../executor/system-prompt.js";
import type { ArtifactStore } from "../services/artifact/artifact-store.js";
import { LONG_TERM_DOCUMENT, type MemoryStore } from "../services/memory/memory-store.js";
import type { SessionKey } from "../services/session/session-store.js";

/**
 * The memory a run starts with (DESIGN.md: "today's and yesterday's memory, MEMORY.md"): the UTC day
 * files of `now` and the day before, and the long-term document; absent documents are `undefined`.
 */
export async function loadMemoryContext(
  memory: MemoryStore,
  scope: Scope,
  now: Date,
): Promise<MemoryContext> {
  const day = now.toISOString().slice(0, 10);
  const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  const [todayNotes, yesterdayNotes, longTerm] = await Promise.all([
    memory.read(scope, day),
    memory.read(scope, yesterday),
    memory.read(scope, LONG_TERM_DOCUMENT),
  ]);
  return {
    today: { day, markdown: todayNotes },
    yesterday: { day: yesterday, markdown: yesterdayNotes },
    longTerm,
  };
}

/**
 * Saves a tool output that was cut for the model as the artifact `tool-results/<runId>/<toolCallId>.txt`
 * and returns its name. Provider tool call ids can hold any characters; artifact segments must start
 * with a letter or digit (`assertSafePath`), so the id is reduced to a safe form.
 */
export function toolOutputSaver(
  artifacts: ArtifactStore,
  key: SessionKey,
  runId: string,
): (text: string, toolCallId: string) => Promise<string> {
  const scope: Scope = { tenant: key.tenant, agent: key.agent };
  return async (text, toolCallId) => {
    const safeId =
      toolCallId
        .replace(/[^A-Za-z0-9_-]/g, "_")
        .replace(/^[^A-Za-z0-9]+/, "")
        .slice(0, 100) || "call";
    const info = await artifacts.put(scope, `tool-results/${runId}/${safeId}.txt`, text, {
      mediaType: "text/plain; charset=utf-8",
      metadata: { runId, toolCallId, session: key.session },
    });
    return info.name;
  };
}
