import { isPlutoError, PlutoError } from "../../core/errors.js";
import type { SessionEvent } from "../../core/events.js";
import { assertSafeName } from "../../core/names.js";
import { type SessionListener, sessionKeyString } from "../../runs/event-bus.js";
import type { RunHandle, RunManager } from "../../runs/run-manager.js";
import type { SessionKey, SessionStore } from "../../services/session/session-store.js";
import { pendingApprovalList } from "../pending-approval-list.js";
import { openSessionReplay } from "../streams/session-replay.js";
import {
  type ClientMessage,
  type ErrorMessage,
  parseClientMessage,
  type ServerMessage,
} from "./websocket-protocol.js";

/** Options for {@link WebSocketConnection}. */
export interface WebSocketConnectionOptions {
  /** The caller's tenant, resolved once by the auth middleware for the upgrade request. */
  tenant: string;
  /** Runs (the app's, counted against the tenant's concurrent-run limit). */
  runs: RunManager;
  sessions: SessionStore;
  /** Sends one message to the client. */
  send: (message: ServerMessage) => void;
  /** Receives errors that are not Pluto's (they reach the client as `INTERNAL`). */
  onUnexpectedError?: (error: unknown) => void;
  /** Sessions one socket may follow at once (subscriptions and runs together). @default 100 */
  maxSessions?: number;
  /** Client messages waiting to be handled before more are refused. @default 64 */
  maxPending?: number;
  /**
   * Counts one client frame against the tenant's request rate; returns the error to answer instead of
   * handling the frame (`LIMIT_EXCEEDED`), or `undefined`. Absent: no rate limit.
   */
  admit?: () => PlutoError | undefined;
  /**
   * Re-checks the credential that opened the socket before each message; `false` drops the message
   * (whoever answers false closes the socket). Absent: the credential cannot be revoked.
   */
  checkCredential?: () => Promise<boolean>;
  /** Resolves once messages sent so far have left the process; replays await it between pages. */
  flush?: () => Promise<void>;
}

/** What one socket follows in one session. */
interface SessionStream {
  key: SessionKey;
  /** Highest `seq` sent; the socket never sends an event twice, and sends each session's events in order. */
  last: number;
  /** True after `subscribe`: every event of the session is sent, not only those of this socket's runs. */
  subscribed: boolean;
  /** Runs started on this socket and not ended yet. */
  runs: Set<string>;
  /** While the log is replayed, live events wait here. */
  buffered: SessionEvent[] | undefined;
  /** Bus subscriptions held for this session (one per run started here, plus one from `subscribe`). */
  unsubscribers: (() => void)[];
}

/**
 * One WebSocket client: turns its messages into run-manager calls and session events into `event`
 * messages (docs/websocket.md). Transport-free so the protocol is tested without sockets; the route wires
 * it to a socket. Every session id is resolved within `tenant`, so another tenant's ids are not found.
 * Closing the connection stops following sessions; runs it started keep running.
 */
export class WebSocketConnection {
  readonly #options: WebSocketConnectionOptions;
  readonly #streams = new Map<string, SessionStream>();
  #closed = false;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(options: WebSocketConnectionOptions) {
    this.#options = options;
  }

  /**
   * Handles one text frame. Frames are handled one at a time in arrival order (a `subscribe` finishes its
   * replay before the next frame is looked at); at most `maxPending` wait, more are answered with
   * `LIMIT_EXCEEDED` and dropped. Never rejects: problems are sent as `error` messages.
   * @returns a promise that settles once this frame was handled.
   */
  handleText(text: string): Promise<void> {
    if (this.#refusedByRate(() => text)) return Promise.resolve();
    const max = this.#options.maxPending ?? 64;
    if (this.#pending >= max) {
      this.#sendError(
        new PlutoError(
          "LIMIT_EXCEEDED",
          `More than ${max} messages are waiting on this socket; this one was dropped. Wait for answers before sending more.`,
        ),
        {},
      );
      return Promise.resolve();
    }
    this.#pending += 1;
    const handled = this.#queue
      .then(() => this.#handle(text))
      .finally(() => {
        this.#pending -= 1;
      });
    this.#queue = handled;
    return handled;
  }

  /** Answers `LIMIT_EXCEEDED` (with the frame's `id` when it has one) when `admit` refuses the frame. */
  #refusedByRate(text: () => string | undefined): boolean {
    const refused = this.#options.admit?.();
    if (refused === undefined) return false;
    const id = idOfFrame(text());
    this.#sendError(refused, id === undefined ? {} : { id });
    return true;
  }

  async #handle(text: string): Promise<void> {
    if (this.#closed) return;
    if (this.#options.checkCredential !== undefined && !(await this.#options.checkCredential())) return;
    if (this.#closed) return;
    let message: ClientMessage | undefined;
    try {
      message = parseClientMessage(text);
      await this.#dispatch(message);
    } catch (error) {
      const id = message?.id ?? idFrom(error);
      this.#sendError(error, id === undefined ? {} : { id });
    }
  }

  /** Answers a binary frame: the protocol is JSON text. */
  handleBinary(): void {
    if (this.#refusedByRate(() => undefined)) return;
    this.#sendError(
      new PlutoError("BAD_REQUEST", "Send messages as JSON text frames, not binary frames."),
      {},
    );
  }

  /** Stops following every session (the socket closed). Idempotent. */
  close(): void {
    this.#closed = true;
    for (const stream of this.#streams.values())
      for (const unsubscribe of stream.unsubscribers) unsubscribe();
    this.#streams.clear();
  }

  /** Number of sessions followed (for tests and limits). */
  get sessionCount(): number {
    return this.#streams.size;
  }

  async #dispatch(message: ClientMessage): Promise<void> {
    switch (message.type) {
      case "subscribe":
        return this.#subscribe(message.session_id, message.after ?? 0);
      case "unsubscribe":
        return this.#unsubscribe(message.session_id);
      case "run":
        return this.#follow((listener) =>
          this.#options.runs.start({
            tenant: this.#options.tenant,
            agent: message.agent,
            input: message.input,
            ...(message.session_id === undefined ? {} : { sessionId: message.session_id }),
            listener,
          }),
        );
      case "decide-approval":
        return this.#decide(message);
      case "abort":
        if (!this.#options.runs.abort(message.run_id, this.#options.tenant)) {
          throw new PlutoError(
            "RUN_NOT_FOUND",
            `No active run ${JSON.stringify(message.run_id.slice(0, 80))}: it has ended or never existed.`,
            { details: { run_id: message.run_id.slice(0, 200) } },
          );
        }
    }
  }

  async #subscribe(sessionId: string, after: number): Promise<void> {
    const { runs, sessions, tenant } = this.#options;
    const key = await runs.findSession(assertSafeName("session", sessionId), tenant);
    if (key === undefined) {
      throw new PlutoError(
        "SESSION_NOT_FOUND",
        `No session ${JSON.stringify(sessionId)}. Start one with a "run" message or POST /api/v1/agents/{agent}/runs.`,
        { details: { session_id: sessionId } },
      );
    }
    let stream = this.#streams.get(sessionKeyString(key));
    if (stream?.subscribed === true) {
      throw new PlutoError(
        "BAD_REQUEST",
        `Already subscribed to session "${sessionId}". Send "unsubscribe" first to replay it again.`,
        { details: { session_id: sessionId } },
      );
    }
    stream ??= this.#openStream(key);
    stream.subscribed = true;
    stream.buffered = [];
    // Subscribe before reading the log so nothing falls between the replay and the live events.
    if (stream.unsubscribers.length === 0) {
      const target = stream;
      stream.unsubscribers.push(runs.subscribe(key, (events) => this.#receive(target, events)));
    }
    try {
      // One page of the log in memory at a time, and the next read waits until the socket took the last.
      const replay = await openSessionReplay({ runs, sessions, key, after });
      for await (const page of replay.pages) {
        if (this.#closed) break;
        this.#deliver(stream, page);
        await this.#options.flush?.();
      }
      await replay.pages.return();
    } catch (error) {
      stream.buffered = undefined;
      this.#unsubscribe(sessionId);
      throw error;
    }
    const live = stream.buffered ?? [];
    stream.buffered = undefined;
    if (this.#closed) return;
    this.#deliver(stream, live);
  }

  #unsubscribe(sessionId: string): void {
    assertSafeName("session", sessionId);
    for (const stream of this.#streams.values()) {
      if (stream.key.session !== sessionId || !stream.subscribed) continue;
      stream.subscribed = false;
      this.#closeIfIdle(stream);
    }
  }

  /**
   * Decides a waiting tool call and follows what comes of it: the `tool-approval-response` (an event of
   * the waiting run) and, once nothing waits any more, the continued run.
   */
  async #decide(message: Extract<ClientMessage, { type: "decide-approval" }>): Promise<void> {
    const { runs, tenant } = this.#options;
    const key = await runs.findSession(assertSafeName("session", message.session_id), tenant);
    const waitingRun = key === undefined ? undefined : pendingApprovalList(await runs.touch(key))[0]?.run_id;
    return this.#follow(
      (listener) =>
        runs.decide({
          tenant,
          sessionId: message.session_id,
          toolCallId: message.tool_call_id,
          approved: message.decision === "approve",
          ...(message.reason === undefined ? {} : { reason: message.reason }),
          listener,
        }),
      waitingRun,
    );
  }

  /**
   * Starts a run (a new one, or the continuation of a decision) through `start` and sends its events,
   * and those of `alsoRunId` until the run ends; `start` gets the listener to subscribe before the run
   * is queued.
   */
  async #follow(start: (listener: SessionListener) => Promise<RunHandle>, alsoRunId?: string): Promise<void> {
    this.#checkRoom(undefined);
    let target: SessionStream | undefined;
    const early: SessionEvent[] = [];
    // Events that arrive before `start` returns wait in `early`.
    const handle = await start((events) =>
      target === undefined ? early.push(...events) : this.#receive(target, events),
    );
    if (this.#closed) {
      handle.unsubscribe();
      return;
    }
    const stream = this.#streams.get(sessionKeyString(handle.key)) ?? this.#openStream(handle.key);
    stream.runs.add(handle.runId);
    if (alsoRunId !== undefined) stream.runs.add(alsoRunId);
    const ended = () => {
      this.#runEnded(stream, handle.runId);
      if (alsoRunId !== undefined) this.#runEnded(stream, alsoRunId);
    };
    // One bus subscription per session is enough: keep the run's only when the stream has none yet.
    if (stream.unsubscribers.length === 0) stream.unsubscribers.push(handle.unsubscribe);
    else handle.unsubscribe();
    target = stream;
    this.#receive(stream, early);
    handle.result.then(
      async (end) => {
        // A decision that leaves others waiting starts no run and ends at once, maybe before the
        // fan-out brings its response: send what the log gained from the log itself.
        if (end.runId !== handle.runId) {
          await this.#options.sessions
            .read(handle.key)
            .then((events) => this.#deliver(stream, events))
            .catch((error: unknown) => this.#sendError(error, { session_id: handle.key.session }));
        }
        ended();
      },
      (error: unknown) => {
        // The session log itself failed: no run-end will come, so say so and stop waiting for one.
        this.#sendError(error, { session_id: handle.key.session, run_id: handle.runId });
        ended();
      },
    );
  }

  #openStream(key: SessionKey): SessionStream {
    this.#checkRoom(key);
    const stream: SessionStream = {
      key,
      last: 0,
      subscribed: false,
      runs: new Set(),
      buffered: undefined,
      unsubscribers: [],
    };
    this.#streams.set(sessionKeyString(key), stream);
    return stream;
  }

  #checkRoom(key: SessionKey | undefined): void {
    if (key !== undefined && this.#streams.has(sessionKeyString(key))) return;
    const max = this.#options.maxSessions ?? 100;
    if (this.#streams.size >= max) {
      throw new PlutoError(
        "LIMIT_EXCEEDED",
        `This socket already follows ${max} sessions. Unsubscribe from some, or open another socket.`,
        { details: { max_sessions: max } },
      );
    }
  }

  #receive(stream: SessionStream, events: readonly SessionEvent[]): void {
    if (stream.buffered !== undefined) stream.buffered.push(...events);
    else this.#deliver(stream, events);
  }

  #deliver(stream: SessionStream, events: readonly SessionEvent[]): void {
    if (this.#closed || this.#streams.get(sessionKeyString(stream.key)) !== stream) return;
    for (const event of events) {
      if (event.seq <= stream.last) continue;
      if (!stream.subscribed && !stream.runs.has(event.runId)) continue;
      stream.last = event.seq;
      this.#options.send({ type: "event", session_id: stream.key.session, event });
      if (event.type === "run-end" && stream.runs.has(event.runId)) this.#runEnded(stream, event.runId);
    }
  }

  #runEnded(stream: SessionStream, runId: string): void {
    if (!stream.runs.delete(runId)) return;
    this.#closeIfIdle(stream);
  }

  #closeIfIdle(stream: SessionStream): void {
    if (stream.subscribed || stream.runs.size > 0) return;
    for (const unsubscribe of stream.unsubscribers) unsubscribe();
    stream.unsubscribers = [];
    this.#streams.delete(sessionKeyString(stream.key));
  }

  #sendError(error: unknown, context: Omit<ErrorMessage, "type" | "error">): void {
    if (this.#closed) return;
    if (!isPlutoError(error)) this.#options.onUnexpectedError?.(error);
    const body = isPlutoError(error)
      ? error.toJSON()
      : { code: "INTERNAL", message: "Internal error; the server log has the details." };
    this.#options.send({ type: "error", ...context, error: body });
  }
}

/** The `id` of a client frame, when it is a JSON object with a valid one. */
function idOfFrame(text: string | undefined): string | number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseClientMessage(text).id;
  } catch (error) {
    return idFrom(error);
  }
}

/** The message id a parse error carries in `details.id`. */
function idFrom(error: unknown): string | number | undefined {
  if (!isPlutoError(error)) return undefined;
  const id = (error.details as { id?: unknown } | undefined)?.id;
  return typeof id === "string" || typeof id === "number" ? id : undefined;
}
