import type { SessionEvent } from "../../core/events.js";
import type { RunManager } from "../../runs/run-manager.js";
import type { SessionKey, SessionStore } from "../../services/session/session-store.js";

/** Events read from the store per page of a replay. */
export const REPLAY_PAGE_EVENTS = 16;

/** Options for {@link openSessionReplay}. */
export interface SessionReplayOptions {
  runs: Pick<RunManager, "isBusy" | "touch">;
  sessions: SessionStore;
  key: SessionKey;
  /** Replay events with `seq > after`. */
  after: number;
  /** Events per store read. @default REPLAY_PAGE_EVENTS */
  pageSize?: number;
}

/** A replay opened by {@link openSessionReplay}. */
export interface SessionReplay {
  /**
   * True when the session's last stored event, when the replay opened, belongs to a run that has not
   * ended (a run on another worker): a follower should wait for its `run-end`.
   */
  openRun: boolean;
  /** The events with `seq > after`, oldest first, one page (a store read) at a time; never an empty page. */
  pages: AsyncGenerator<SessionEvent[], void, undefined>;
}

/**
 * Opens a replay of a session's log that holds one page of events in memory at a time, however long
 * the log: a consumer that awaits each write before pulling the next event keeps a slow client from
 * making the server buffer the log. When no run of the session is active in this process and its log
 * ends inside a run (a run cut off by a crash), the run is first marked failed through `runs.touch`
 * (which reads the whole log, once, in the session's lane); otherwise only the last event is read.
 */
export async function openSessionReplay(options: SessionReplayOptions): Promise<SessionReplay> {
  const { runs, sessions, key } = options;
  const pageSize = options.pageSize ?? REPLAY_PAGE_EVENTS;
  let last = await lastEvent(sessions, key);
  if (!runs.isBusy(key) && last !== undefined && last.type !== "run-end") {
    last = (await runs.touch(key)).at(-1);
  }
  return {
    openRun: last !== undefined && last.type !== "run-end",
    pages: (async function* pages() {
      let after = options.after;
      while (true) {
        const page = await sessions.read(key, { after, limit: pageSize });
        if (page.length > 0) yield page;
        if (page.length < pageSize) return;
        after = page.at(-1)?.seq ?? after;
      }
    })(),
  };
}

async function lastEvent(sessions: SessionStore, key: SessionKey): Promise<SessionEvent | undefined> {
  const lastSeq = (await sessions.info(key))?.lastSeq ?? 0;
  if (lastSeq === 0) return undefined;
  return (await sessions.read(key, { after: lastSeq - 1, limit: 1 })).at(-1);
}
