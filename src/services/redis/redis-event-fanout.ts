import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { errorMessage, PlutoError } from "../../core/errors.js";
import type { SessionEvent } from "../../core/events.js";
import type { EventFanout, SessionListener } from "../coordination/coordination.js";
import { checkSessionKey } from "../session/session-input.js";
import type { SessionKey } from "../session/session-store.js";
import { toRedisError } from "./redis-errors.js";
import { checkRedisPrefix, sessionRedisKeys } from "./redis-keys.js";

/** Options of {@link RedisEventFanout}. */
export interface RedisEventFanoutOptions {
  /** Connection used for `PUBLISH` (may be the shared command connection). Owned by the caller. */
  publisher: Redis;
  /**
   * A dedicated connection used only for `SUBSCRIBE`/`UNSUBSCRIBE` by this instance (a subscribed
   * connection cannot run other commands). Owned by the caller; never share it between two fan-outs.
   */
  subscriber: Redis;
  /** First segment of every channel name. @default "pluto" */
  prefix?: string;
  /** This worker's id; messages carrying it are ignored on receipt (already delivered locally). @default a random UUID */
  workerId?: string;
  /**
   * Told about failures that {@link EventFanout.publish} must not throw: a failed `PUBLISH` or
   * `SUBSCRIBE`, a listener that threw (it is removed), a malformed message. @default ignore
   */
  onError?: (error: PlutoError) => void;
}

/** What travels on a session's channel (JSON). */
interface FanoutMessage {
  workerId: string;
  key: SessionKey;
  events: SessionEvent[];
}

/** The local listeners of one session and the state of its channel subscription. */
interface ChannelEntry {
  key: SessionKey;
  listeners: Set<SessionListener>;
  /** Settles when Redis confirmed the `SUBSCRIBE` (rejects with a PlutoError when it failed). */
  subscribed: Promise<void>;
}

/**
 * {@link EventFanout} across workers with Redis pub/sub (docs/backends/redis.md, Fan-out).
 * `publish` delivers to this process's listeners at once, in call order, then `PUBLISH`es
 * `{workerId, key, events}` on `<prefix>:t:<tenant>:a:<agent>:s:<session>:fanout`; every other worker
 * with listeners on that session delivers the events on receipt. The subscriber connection joins a
 * session's channel when its first local listener arrives and leaves it when the last one goes.
 *
 * Delivery is at most once, to listeners that are subscribed when a message arrives; per session the
 * order of one publisher is kept. Subscribers that must not miss anything (SSE with `Last-Event-ID`)
 * subscribe, await {@link subscribed}, read the store after their last seq, then skip live events
 * whose seq they already have. A listener that throws is removed and reported to `onError`.
 */
export class RedisEventFanout implements EventFanout {
  /** This worker's id, as sent in every message. */
  readonly workerId: string;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #onError: (error: PlutoError) => void;
  readonly #channels = new Map<string, ChannelEntry>();
  readonly #onMessage = (channel: string, message: string) => this.#receive(channel, message);
  readonly #onReady = () => this.#resubscribe();

  /** @throws PlutoError `CONFIG_INVALID` for a bad `prefix` or `workerId`. */
  constructor(options: RedisEventFanoutOptions) {
    this.#publisher = options.publisher;
    this.#subscriber = options.subscriber;
    this.#prefix = checkRedisPrefix(options.prefix);
    this.workerId = options.workerId ?? randomUUID();
    if (typeof this.workerId !== "string" || this.workerId.length === 0 || this.workerId.length > 128) {
      throw new PlutoError("CONFIG_INVALID", "workerId must be a string of 1-128 characters.");
    }
    this.#onError = options.onError ?? (() => {});
    this.#subscriber.on("message", this.#onMessage);
    this.#subscriber.on("ready", this.#onReady);
  }

  /**
   * See {@link EventFanout.publish}. Local listeners run synchronously before this returns; the
   * `PUBLISH` is sent without waiting (its failure goes to `onError`). Never throws, also not for a bad key.
   */
  publish(key: SessionKey, events: readonly SessionEvent[]): void {
    let checked: SessionKey;
    try {
      checked = checkSessionKey(key);
    } catch (error) {
      this.#onError(error as PlutoError);
      return;
    }
    if (events.length === 0) return;
    const channel = sessionRedisKeys(this.#prefix, checked).channel;
    this.#deliver(channel, events);
    const message: FanoutMessage = { workerId: this.workerId, key: checked, events: [...events] };
    this.#publisher.publish(channel, JSON.stringify(message)).catch((error: unknown) => {
      this.#onError(toRedisError(error, "fan-out publish"));
    });
  }

  /**
   * See {@link EventFanout.subscribe}. Starts the channel subscription when this is the session's first
   * local listener; until Redis confirms it (see {@link subscribed}) only local events arrive.
   * @throws PlutoError `INVALID_NAME` for a bad key.
   */
  subscribe(key: SessionKey, listener: SessionListener): () => void {
    const checked = checkSessionKey(key);
    const channel = sessionRedisKeys(this.#prefix, checked).channel;
    let entry = this.#channels.get(channel);
    if (entry === undefined) {
      entry = { key: checked, listeners: new Set(), subscribed: this.#join(channel) };
      this.#channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    const joined = entry;
    return () => {
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && this.#channels.get(channel) === joined) this.#leave(channel);
    };
  }

  /**
   * Resolves once Redis confirmed the subscription of the session's channel (at once when the
   * session has no local listener).
   * @throws PlutoError `INTERNAL` (retryable) when the `SUBSCRIBE` failed; it is retried on reconnect.
   */
  subscribed(key: SessionKey): Promise<void> {
    const channel = sessionRedisKeys(this.#prefix, checkSessionKey(key)).channel;
    return this.#channels.get(channel)?.subscribed ?? Promise.resolve();
  }

  /** Number of sessions with at least one local listener (= channels joined). */
  get size(): number {
    return this.#channels.size;
  }

  /** Leaves every channel and stops listening; the connections stay open (the caller owns them). */
  async close(): Promise<void> {
    const channels = [...this.#channels.keys()];
    this.#channels.clear();
    this.#subscriber.off("message", this.#onMessage);
    this.#subscriber.off("ready", this.#onReady);
    if (channels.length > 0) await this.#subscriber.unsubscribe(...channels).catch(() => {});
  }

  #join(channel: string): Promise<void> {
    const subscribed = this.#subscriber.subscribe(channel).then(
      () => undefined,
      (error: unknown) => {
        throw toRedisError(error, "fan-out subscribe");
      },
    );
    subscribed.catch((error: PlutoError) => this.#onError(error));
    return subscribed;
  }

  #leave(channel: string): void {
    this.#channels.delete(channel);
    this.#subscriber.unsubscribe(channel).catch(() => {
      // A dropped connection loses its subscriptions anyway; on reconnect only live channels return.
    });
  }

  /** After a (re)connect: joins every channel that still has listeners, including failed joins. */
  #resubscribe(): void {
    for (const [channel, entry] of this.#channels) entry.subscribed = this.#join(channel);
  }

  #receive(channel: string, raw: string): void {
    const entry = this.#channels.get(channel);
    if (entry === undefined) return;
    let message: FanoutMessage;
    try {
      message = JSON.parse(raw) as FanoutMessage;
    } catch (error) {
      this.#onError(malformed(channel, errorMessage(error)));
      return;
    }
    if (message?.workerId === this.workerId) return;
    const key = message?.key;
    if (
      typeof message?.workerId !== "string" ||
      key?.tenant !== entry.key.tenant ||
      key.agent !== entry.key.agent ||
      key.session !== entry.key.session ||
      !Array.isArray(message.events) ||
      !message.events.every(
        (event) => typeof event === "object" && event !== null && Number.isSafeInteger(event.seq),
      )
    ) {
      this.#onError(malformed(channel, "not {workerId, key, events} for this session"));
      return;
    }
    this.#deliver(channel, message.events);
  }

  #deliver(channel: string, events: readonly SessionEvent[]): void {
    const entry = this.#channels.get(channel);
    if (entry === undefined) return;
    for (const listener of [...entry.listeners]) {
      try {
        listener(events);
      } catch (error) {
        entry.listeners.delete(listener);
        this.#onError(
          new PlutoError("INTERNAL", `A fan-out listener threw and was removed: ${errorMessage(error)}`, {
            cause: error,
            details: { backend: "redis", operation: "fan-out deliver" },
          }),
        );
      }
    }
    if (entry.listeners.size === 0 && this.#channels.get(channel) === entry) this.#leave(channel);
  }
}

function malformed(channel: string, reason: string): PlutoError {
  return new PlutoError(
    "INTERNAL",
    `Ignored a malformed fan-out message on ${channel} (${reason}); is another program publishing on Pluto's channels?`,
    { details: { backend: "redis", operation: "fan-out receive", channel } },
  );
}
