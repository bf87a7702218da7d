/**
 * One active run per session: work for the same session key runs strictly in arrival order, one at a
 * time; different sessions run concurrently. A second message to a busy session waits its turn and
 * never interleaves with the running one (documented in docs/runs.md).
 */
export class SessionLanes {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after everything queued before it on `key`; resolves or rejects with its result. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** True when a run is active or queued on `key`. */
  busy(key: string): boolean {
    return this.#tails.has(key);
  }

  /** Resolves once `key` has no active or queued work (immediately when idle). */
  async whenIdle(key: string): Promise<void> {
    for (let tail = this.#tails.get(key); tail !== undefined; tail = this.#tails.get(key)) {
      await tail;
      await Promise.resolve();
    }
  }

  /** Number of sessions with active or queued work. */
  get size(): number {
    return this.#tails.size;
  }
}
