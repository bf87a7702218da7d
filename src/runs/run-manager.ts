import { randomUUID } from "node:crypto";
import type { AgentDefinition, ToolPolicy, ToolPolicyAction } from "../agents/agent-definition.js";
import { PlutoError } from "../core/errors.js";
import type { RunEndEvent, SessionEvent } from "../core/events.js";
import { assertSafeName, isSafeName } from "../core/names.js";
import { DEFAULT_TENANT, type Scope, scopeOf } from "../core/scope.js";
import { executeRun, type ResumeApprovals } from "../executor/execute-run.js";
import { SessionWriter } from "../executor/session-writer.js";
import { buildSystemPrompt } from "../executor/system-prompt.js";
import type { ModelToolSpec, StreamStep } from "../llm/model-step.js";
import { decideToolCall } from "../policy/decide-tool-call.js";
import type { ArtifactStore } from "../services/artifact/artifact-store.js";
import type { EventFanout, SessionLeases } from "../services/coordination/coordination.js";
import type { MemoryStore } from "../services/memory/memory-store.js";
import { boundSessionStore } from "../services/session/bounded-session-store.js";
import type { SessionKey, SessionStore } from "../services/session/session-store.js";
import type { Tool } from "../tools/tool.js";
import { type ApprovalDecision, applyDecision } from "./approval-decision.js";
import type { SessionListener } from "./event-bus.js";
import { sessionKeyString } from "./event-bus.js";
import { failBeforeStart } from "./fail-before-start.js";
import { interruptedRunEnd } from "./recover-session.js";
import { loadMemoryContext, toolOutputSaver } from "./run-context.js";
import type { DecideApprovalRequest, RunHandle, StartRunRequest } from "./run-requests.js";
import { SessionEventCache } from "./session-event-cache.js";
import { SessionLanes } from "./session-lanes.js";

export type { DecideApprovalRequest, RunHandle, StartRunRequest } from "./run-requests.js";

/** The tools of one run. */
export interface RunTools {
  tools: ReadonlyMap<string, Tool>;
  specs: ModelToolSpec[];
}

/** Dependencies of {@link RunManager}; built once by `runtime.ts`. */
export interface RunManagerOptions {
  /** Agent definitions per tenant (`TenantAgents`); `tenant` defaults to the default tenant. */
  agents: {
    get(name: string, tenant?: string): Promise<AgentDefinition>;
    list(tenant?: string): Promise<{ name: string }[]>;
  };
  sessions: SessionStore;
  memory: MemoryStore;
  artifacts: ArtifactStore;
  /** Fan-out of durable events to subscribers (in-process `EventBus`, or Redis across workers). */
  bus: EventFanout;
  /**
   * Cross-process run leases (complex mode). Without them, one process per data directory is assumed and
   * the in-process lanes alone keep one active run per session.
   */
  leases?: SessionLeases;
  /** Lease time-to-live in ms; a crashed worker's session is taken over after it. @default 15000 */
  leaseTtlMs?: number;
  /**
   * Bound on every session-log read and write of a run, in ms (`services.timeout_seconds`): a call still
   * pending then fails the run with `BACKEND_UNAVAILABLE` and frees the session's lane and lease, so a
   * silent store cannot wedge the session. 0 disables the bound. @default 30000
   */
  storeTimeoutMs?: number;
  /** The provider seam for an agent (its model plus fallbacks). */
  streamStepFor(agent: AgentDefinition): StreamStep;
  /** The tools an agent may call in one session. */
  toolsFor(agent: AgentDefinition, scope: Scope): Promise<RunTools>;
  /** What a call no rule of the agent's `spec.tools.policy` matches gets (pluto.yaml `policy.default`). @default "allow" */
  policyDefault?: ToolPolicyAction;
  /** @default () => new Date() */
  now?: () => Date;
}

/** A run as the manager queues it. */
interface QueuedRun {
  agent: AgentDefinition;
  key: SessionKey;
  runId: string;
  input: string;
  signal: AbortSignal;
  /** A decision on a pending approval: recorded first; the run continues once nothing waits any more. */
  decision?: ApprovalDecision;
}

/**
 * Starts, queues, aborts and tracks runs (DESIGN.md: "run queue (one active run per session key)").
 * A run for a busy session waits until the session's earlier runs end, in arrival order.
 */
export class RunManager {
  readonly #options: RunManagerOptions;
  /** `options.sessions` behind the `storeTimeoutMs` bound; every session-log call of the manager goes through it. */
  readonly #sessions: SessionStore;
  readonly #lanes = new SessionLanes();
  readonly #active = new Map<string, { key: SessionKey; controller: AbortController }>();
  readonly #knownSessions = new Map<string, SessionKey>();
  /** Events of sessions run recently, so the next run reads only what was appended after them. */
  readonly #recent = new SessionEventCache();

  constructor(options: RunManagerOptions) {
    this.#options = options;
    this.#sessions = boundSessionStore(options.sessions, options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
  }

  /**
   * Validates the request, then queues the run on its session's lane.
   * @throws PlutoError `AGENT_NOT_FOUND`, `AGENT_INVALID`, `INVALID_NAME`, `BAD_REQUEST` (empty input).
   */
  async start(request: StartRunRequest): Promise<RunHandle> {
    if (typeof request.input !== "string" || request.input.trim() === "") {
      throw new PlutoError("BAD_REQUEST", "The input is empty. Send the message text in `input`.");
    }
    const scope = scopeOf(request.agent, request.tenant ?? DEFAULT_TENANT);
    const agent = await this.#options.agents.get(scope.agent, scope.tenant);
    const session =
      request.sessionId === undefined ? newSessionId() : assertSafeName("session", request.sessionId);
    if (request.sessionId !== undefined && request.checkOwner !== false) {
      const owner = await this.findSession(session, scope.tenant);
      if (owner !== undefined && owner.agent !== scope.agent) {
        throw new PlutoError(
          "SESSION_CONFLICT",
          `Session ${JSON.stringify(session)} belongs to agent "${owner.agent}". Send its messages to that agent, or use another session_id.`,
          { details: { session, agent: owner.agent } },
        );
      }
    }
    const key: SessionKey = { ...scope, session };
    this.#remember(key);
    return this.#queue(
      {
        agent,
        key,
        input: request.input,
        ...(request.runId === undefined ? {} : { runId: assertSafeName("run", request.runId) }),
      },
      request.listener,
    );
  }

  /**
   * Queues a run on its session's lane (and lease); the handle's `result` settles when it ends.
   * `run.runId` names it (default `run_` + a UUID).
   */
  #queue(
    run: Omit<QueuedRun, "runId" | "signal"> & { runId?: string },
    listener: SessionListener | undefined,
  ): RunHandle {
    const { key } = run;
    const runId = run.runId ?? `run_${randomUUID()}`;
    const controller = new AbortController();
    const unsubscribe = listener === undefined ? () => {} : this.#options.bus.subscribe(key, listener);
    this.#active.set(runId, { key, controller });
    const result = this.#exclusive(key, (lost) => {
      lost?.addEventListener("abort", () => controller.abort(), { once: true });
      return this.#run({ ...run, runId, signal: controller.signal });
    }).finally(() => this.#active.delete(runId));
    // A decision refused under the lane rejects `result`; callers that stream may not await it.
    result.catch(() => {});
    return { runId, key, result, unsubscribe };
  }

  /**
   * Records a human's decision on a pending tool approval of a session of `tenant`, on the session's
   * lane and lease, reading the log under them (so a call is decided once, whichever worker gets the
   * decision). When that was the last pending call of the waiting run, a new run continues it (see
   * `ExecuteRunOptions.resume`); otherwise `result` is the waiting run's `run-end`, unchanged.
   * @throws PlutoError `SESSION_NOT_FOUND`, `INVALID_NAME`; `APPROVAL_NOT_FOUND` / `APPROVAL_DECIDED`
   *   (see `applyDecision`), thrown here when the log already shows it, else by `result`.
   */
  async decide(request: DecideApprovalRequest): Promise<RunHandle> {
    const tenant = request.tenant ?? DEFAULT_TENANT;
    const key = await this.findSession(assertSafeName("session", request.sessionId), tenant);
    if (key === undefined) {
      throw new PlutoError(
        "SESSION_NOT_FOUND",
        `Session ${JSON.stringify(request.sessionId)} does not exist. Check the session id.`,
        { details: { session: request.sessionId } },
      );
    }
    const decision: ApprovalDecision = {
      toolCallId: request.toolCallId,
      approved: request.approved,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
    };
    // Early answer for the common refusals, before a stream starts; the lane re-checks authoritatively.
    applyDecision(await this.#sessions.read(key), decision, this.#now().toISOString());
    const agent = await this.#options.agents.get(key.agent, key.tenant);
    return this.#queue({ agent, key, input: "", decision }, request.listener);
  }

  /** Aborts a queued or running run of `tenant`. @returns false when no such run of that tenant is active in this process. */
  abort(runId: string, tenant: string = DEFAULT_TENANT): boolean {
    const run = this.#active.get(runId);
    if (run === undefined || run.key.tenant !== tenant) return false;
    run.controller.abort();
    return true;
  }

  /** The session of an active run, if any. */
  activeRun(runId: string): SessionKey | undefined {
    return this.#active.get(runId)?.key;
  }

  /** Subscribes to a session's durable events; returns the function that unsubscribes. */
  subscribe(key: SessionKey, listener: SessionListener): () => void {
    return this.#options.bus.subscribe(key, listener);
  }

  /** Resolves when the session has no queued or running run. */
  whenIdle(key: SessionKey): Promise<void> {
    return this.#lanes.whenIdle(sessionKeyString(key));
  }

  /** True when the session has a queued or running run in this process. */
  isBusy(key: SessionKey): boolean {
    return this.#lanes.busy(sessionKeyString(key));
  }

  /** Number of queued and running runs. */
  get activeCount(): number {
    return this.#active.size;
  }

  /**
   * Resolves a session id to its key within a tenant (sessions are unique per tenant). Looks at
   * sessions seen by this process first, then asks the store for each agent.
   */
  async findSession(sessionId: string, tenant: string = DEFAULT_TENANT): Promise<SessionKey | undefined> {
    if (!isSafeName(sessionId)) return undefined;
    const known = this.#knownSessions.get(`${tenant}/${sessionId}`);
    if (known !== undefined) return known;
    for (const { name } of await this.#options.agents.list(tenant)) {
      if (!isSafeName(name)) continue;
      const key: SessionKey = { tenant, agent: name, session: sessionId };
      if ((await this.#sessions.info(key)) !== undefined) {
        this.#remember(key);
        return key;
      }
    }
    return undefined;
  }

  /**
   * Marks a cut-off run failed when the session is idle (see `interruptedRunEnd`); returns the session's events.
   * Safe to call at any time: it waits its turn on the session's lane.
   */
  touch(key: SessionKey): Promise<SessionEvent[]> {
    const leases = this.#options.leases;
    if (leases === undefined) return this.#lanes.run(sessionKeyString(key), () => this.#recover(key));
    return this.#lanes.run(sessionKeyString(key), async () => {
      // Another worker may be running this session right now: recover only if its lease is free.
      const lease = await leases
        .acquire(key, { ttlMs: this.#leaseTtlMs(), signal: AbortSignal.timeout(LEASE_PROBE_MS) })
        .catch(() => undefined);
      if (lease === undefined) return this.#sessions.read(key);
      try {
        return await this.#recover(key);
      } finally {
        await lease.release();
      }
    });
  }

  /**
   * Runs `work` as the session's only active work: first in this process's lane for the session, then,
   * with cross-process leases, while holding the session's lease (`lost` aborts if it is lost).
   */
  #exclusive<T>(key: SessionKey, work: (lost?: AbortSignal) => Promise<T>): Promise<T> {
    const leases = this.#options.leases;
    return this.#lanes.run(sessionKeyString(key), async () => {
      if (leases === undefined) return work();
      const lease = await leases.acquire(key, { ttlMs: this.#leaseTtlMs() });
      try {
        return await work(lease.lost);
      } finally {
        await lease.release();
      }
    });
  }

  #leaseTtlMs(): number {
    return this.#options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /** Remembers which agent owns a session id, keeping at most {@link KNOWN_SESSIONS_LIMIT} entries. */
  #remember(key: SessionKey): void {
    const name = `${key.tenant}/${key.session}`;
    this.#knownSessions.delete(name);
    this.#knownSessions.set(name, key);
    if (this.#knownSessions.size > KNOWN_SESSIONS_LIMIT) {
      const oldest = this.#knownSessions.keys().next().value;
      if (oldest !== undefined) this.#knownSessions.delete(oldest);
    }
  }

  /**
   * Reads the session (or takes `known`, its whole log) and marks a cut-off run failed (see
   * `interruptedRunEnd`); returns every event of the session.
   */
  async #recover<Events extends readonly SessionEvent[]>(
    key: SessionKey,
    known?: Events,
  ): Promise<Events | SessionEvent[]> {
    const events = known ?? (await this.#sessions.read(key));
    const end = interruptedRunEnd(events, this.#now());
    if (end === undefined) return events;
    const stored = await this.#sessions.append(key, [end], { expectedSeq: events.at(-1)?.seq ?? 0 });
    this.#options.bus.publish(key, stored);
    return [...events, ...stored];
  }

  /**
   * The session's events before a run, recovered like {@link touch}. When this process ran the session
   * last, its cached events are reused after checking the store's `info` (same `createdAt`, so not
   * deleted and re-created; `lastSeq` not behind them) and only events appended since (by another
   * worker, or a recovery) are read; otherwise the whole log is read (and a stale entry dropped).
   * @returns the events and the session's `createdAt` when known.
   */
  async #eventsBeforeRun(
    key: SessionKey,
  ): Promise<{ events: readonly SessionEvent[]; createdAt: string | undefined }> {
    const id = sessionKeyString(key);
    const cached = this.#recent.get(id);
    if (cached !== undefined) {
      const sessions = this.#sessions;
      const info = await sessions.info(key);
      const lastSeq = cached.events.at(-1)?.seq ?? 0;
      if (info !== undefined && info.createdAt === cached.createdAt && info.lastSeq >= lastSeq) {
        const events =
          info.lastSeq === lastSeq
            ? cached.events
            : [...cached.events, ...(await sessions.read(key, { after: lastSeq }))];
        return { events: await this.#recover(key, events), createdAt: info.createdAt };
      }
      this.#recent.delete(id);
    }
    return { events: await this.#recover(key), createdAt: undefined };
  }

  /** Caches a finished run's session events (all durable) for the session's next run in this process. */
  async #keepEvents(key: SessionKey, createdAt: string | undefined, events: readonly SessionEvent[]) {
    const created = createdAt ?? (await this.#sessions.info(key).catch(() => undefined))?.createdAt;
    if (created !== undefined) this.#recent.set(sessionKeyString(key), created, events);
  }

  async #run(run: QueuedRun): Promise<RunEndEvent> {
    const { key } = run;
    const options = this.#options;
    const before = await this.#eventsBeforeRun(key);
    const writer = new SessionWriter({
      store: this.#sessions,
      key,
      existing: before.events,
      onDurable: (events) => options.bus.publish(key, events),
    });
    let end: RunEndEvent;
    try {
      let resume: ResumeApprovals | undefined;
      if (run.decision !== undefined) {
        const effect = applyDecision(writer.events, run.decision, this.#now().toISOString());
        writer.write(effect.response);
        if ("waiting" in effect) {
          await writer.flush();
          this.#active.delete(run.runId);
          return effect.waiting;
        }
        resume = effect.resume;
      }
      end = await this.#execute(run, writer, resume);
    } catch (error) {
      // The log could not be written: what it holds now is unknown, so the next run reads it.
      this.#recent.delete(sessionKeyString(key));
      throw error;
    }
    // The run-end is durable and published: from here on the run is over for `abort` and `activeRun`.
    this.#active.delete(run.runId);
    await this.#keepEvents(key, before.createdAt, writer.events);
    return end;
  }

  /** Prepares the run (memory, tools, provider) and runs it, or records why it could not start. */
  async #execute(run: QueuedRun, writer: SessionWriter, resume?: ResumeApprovals): Promise<RunEndEvent> {
    const { agent, key, runId } = run;
    const options = this.#options;
    const scope: Scope = { tenant: key.tenant, agent: key.agent };
    let prepared: { system: string; tools: RunTools; streamStep: StreamStep };
    try {
      const memory = agent.memory.enabled
        ? await loadMemoryContext(options.memory, scope, this.#now())
        : undefined;
      const tools = await options.toolsFor(agent, scope);
      prepared = {
        system: buildSystemPrompt(agent, memory),
        tools,
        streamStep: options.streamStepFor(agent),
      };
    } catch (error) {
      // A run that cannot start (an MCP server down, memory unreadable) still ends with a run-end event,
      // so JSON callers get a status and SSE streams get their last frame instead of waiting forever.
      return failBeforeStart(writer, { ...run, continues: resume?.continues }, error, this.#now());
    }
    const { tools } = prepared;
    const policyDefault = options.policyDefault ?? "allow";
    return executeRun({
      beforeToolCall: (call, tool) =>
        decideToolCall(
          agent.tools.policy ?? NO_RULES,
          { toolName: call.toolName, input: call.input, annotations: tool.annotations ?? {} },
          policyDefault,
        ),
      ...(resume === undefined ? {} : { resume }),
      agent,
      runId,
      input: run.input,
      writer,
      streamStep: prepared.streamStep,
      system: prepared.system,
      tools: tools.tools,
      toolSpecs: tools.specs,
      toolScope: { scope, sessionId: key.session },
      signal: run.signal,
      now: options.now,
      saveFullToolOutput: toolOutputSaver(options.artifacts, key, runId),
    });
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

/** The policy of an agent without `spec.tools.policy`. */
const NO_RULES: ToolPolicy = { rules: [] };

/** Default bound on one session-log call of a run. */
const DEFAULT_STORE_TIMEOUT_MS = 30_000;

/** Default run lease time-to-live. */
const DEFAULT_LEASE_TTL_MS = 15_000;

/** How long `touch` waits for a session's lease before reading without recovery. */
const LEASE_PROBE_MS = 100;

/** How many session-id → agent mappings the manager caches. */
const KNOWN_SESSIONS_LIMIT = 10_000;

function newSessionId(): string {
  return `ses_${randomUUID().replaceAll("-", "")}`;
}
