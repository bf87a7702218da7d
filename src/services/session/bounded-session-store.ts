import { PlutoError } from "../../core/errors.js";
import type { SessionStore } from "./session-store.js";

/**
 * Wraps `store` so that no call waits longer than `timeoutMs` milliseconds: a call still pending then
 * rejects with `BACKEND_UNAVAILABLE` (retryable; details `{ reason: "timeout", timeoutMs, operation }`),
 * whatever the backend (a PostgreSQL or Redis server that stopped answering, a hung network disk).
 * The run manager puts every session-log read and write of a run behind this bound, so a silent store
 * fails the run instead of holding its session's lane and lease forever.
 *
 * The wrapped call is not cancelled (a store cannot take back a write in flight): an `append` that
 * times out may still be stored later, as with any lost answer, and the next run reads the log afresh.
 * @param timeoutMs bound per call in milliseconds; 0 or less returns `store` itself (no bound).
 */
export function boundSessionStore(store: SessionStore, timeoutMs: number): SessionStore {
  if (!(timeoutMs > 0)) return store;
  const bounded: SessionStore = {
    append: (key, events, options) =>
      withinBound(store.append(key, events, options), timeoutMs, `appending to session "${key.session}"`),
    read: (key, options) =>
      withinBound(store.read(key, options), timeoutMs, `reading session "${key.session}"`),
    info: (key) => withinBound(store.info(key), timeoutMs, `reading session "${key.session}"`),
    list: (scope) => withinBound(store.list(scope), timeoutMs, `listing sessions of agent "${scope.agent}"`),
    delete: (key) => withinBound(store.delete(key), timeoutMs, `deleting session "${key.session}"`),
  };
  if (store.close !== undefined) bounded.close = () => store.close!();
  return bounded;
}

/** Settles like `work`, or rejects with `BACKEND_UNAVAILABLE` once `timeoutMs` passed first. */
function withinBound<T>(work: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new PlutoError(
          "BACKEND_UNAVAILABLE",
          `The session store did not answer within ${timeoutMs / 1000} s while ${operation}. Check that its server is reachable (services.session in pluto.yaml); services.timeout_seconds sets this bound. A write may or may not have been stored: read before retrying.`,
          { details: { reason: "timeout", timeoutMs, operation }, retryable: true },
        ),
      );
    }, timeoutMs);
  });
  // The loser of the race must not surface as an unhandled rejection.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
