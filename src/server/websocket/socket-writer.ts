import type { WebSocket } from "ws";
import type { ServerMessage } from "./websocket-protocol.js";

/** Close code for a client that does not keep up with its events (RFC 6455 registry: "Try Again Later"). */
export const CLOSE_TOO_SLOW = 1013;

/** Options for {@link SocketWriter}. */
export interface SocketWriterOptions {
  /**
   * Bytes the socket may have queued for sending; a client that reads slower than its events arrive is
   * closed with 1013 rather than let the queue grow without bound.
   */
  maxBufferedBytes: number;
  /** Milliseconds queued messages may go without any of them reaching the network before the socket is closed with 1013. */
  slowReaderTimeoutMs: number;
}

/**
 * Sends server messages on one `ws` socket with the slow-reader rules of every stream: a socket whose
 * writes make no progress for `slowReaderTimeoutMs`, or whose queue passes `maxBufferedBytes`, is
 * closed with 1013 (and cut 2 s later if the close handshake cannot get through). `flush` lets a replay
 * wait until what it sent has left the process before reading the next page.
 */
export class SocketWriter {
  readonly #socket: WebSocket;
  readonly #options: SocketWriterOptions;
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  #idle: (() => void)[] = [];

  constructor(socket: WebSocket, options: SocketWriterOptions) {
    this.#socket = socket;
    this.#options = options;
  }

  /** Sends one message unless the socket is closing. */
  send(message: ServerMessage): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    if (this.#socket.bufferedAmount > this.#options.maxBufferedBytes) {
      this.#tooSlow("events are queued faster than it reads them");
      return;
    }
    this.#pending += 1;
    if (this.#pending === 1) {
      this.#timer = setTimeout(() => this.#tooSlow("it stopped reading"), this.#options.slowReaderTimeoutMs);
      this.#timer.unref();
    }
    this.#socket.send(JSON.stringify(message), () => this.#written());
  }

  /** Resolves once every message sent so far was written (or the socket closed). Never rejects. */
  flush(): Promise<void> {
    if (this.#pending === 0 || this.#socket.readyState !== this.#socket.OPEN) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Releases waiting `flush` calls and timers (the socket closed). */
  close(): void {
    clearTimeout(this.#timer);
    this.#pending = 0;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  #written(): void {
    if (this.#pending === 0) return;
    this.#pending -= 1;
    if (this.#pending > 0) {
      this.#timer?.refresh();
      return;
    }
    clearTimeout(this.#timer);
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  #tooSlow(why: string): void {
    this.close();
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.close(CLOSE_TOO_SLOW, `Client too slow: ${why}.`);
    const socket = this.#socket;
    setTimeout(() => socket.terminate(), 2_000).unref();
  }
}
