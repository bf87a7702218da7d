import type { ApiKeyStore } from "../../services/auth/api-key-store.js";
import { isCredentialLive } from "../auth.js";

/** Options for {@link SocketCredentials}. */
export interface SocketCredentialsOptions {
  apiKeys: ApiKeyStore;
  /**
   * Milliseconds between re-checks of every key that has open sockets; catches revocations this process
   * did not make (`pluto keys revoke` on the same data directory, another worker's admin API). @default 5000
   */
  intervalMs?: number;
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

/**
 * Keeps open WebSockets tied to the API key (or login cookie) that opened them: a socket is closed as
 * soon as a check finds its key revoked, expired or deleted. Checks run on every message the socket
 * sends (`check`), after this process changed keys (`recheck`, called by the admin API), and every
 * `intervalMs` while any socket is open (one store read per key, however many sockets use it).
 */
export class SocketCredentials {
  readonly #options: SocketCredentialsOptions;
  /** key id → close functions of the sockets opened with it. */
  readonly #sockets = new Map<string, Set<() => void>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: SocketCredentialsOptions) {
    this.#options = options;
  }

  /** Number of keys with open sockets (for tests). */
  get keyCount(): number {
    return this.#sockets.size;
  }

  /**
   * Registers a socket opened with `keyId`; `close` is called (once) when the key stops authenticating.
   * @returns the function that unregisters it (call it when the socket closes).
   */
  register(keyId: string, close: () => void): () => void {
    let closers = this.#sockets.get(keyId);
    if (closers === undefined) {
      closers = new Set();
      this.#sockets.set(keyId, closers);
    }
    closers.add(close);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.recheck(), this.#options.intervalMs ?? 5_000);
      this.#timer.unref();
    }
    return () => {
      const set = this.#sockets.get(keyId);
      set?.delete(close);
      if (set?.size === 0) this.#sockets.delete(keyId);
      if (this.#sockets.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  /** True when `keyId` still authenticates; a store that cannot be read counts as still valid (fail open only for reads already authenticated once). */
  async check(keyId: string): Promise<boolean> {
    let record: Awaited<ReturnType<ApiKeyStore["get"]>>;
    try {
      record = await this.#options.apiKeys.get(keyId);
    } catch {
      return true;
    }
    if (isCredentialLive(record, (this.#options.now ?? Date.now)())) return true;
    this.#closeAll(keyId);
    return false;
  }

  /** Re-checks every key with open sockets and closes the sockets of keys that no longer authenticate. */
  async recheck(): Promise<void> {
    await Promise.all([...this.#sockets.keys()].map((keyId) => this.check(keyId)));
  }

  #closeAll(keyId: string): void {
    const closers = this.#sockets.get(keyId);
    if (closers === undefined) return;
    this.#sockets.delete(keyId);
    for (const close of closers) close();
    if (this.#sockets.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
