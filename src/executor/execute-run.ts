import type { AgentDefinition } from "../agents/agent-definition.js";
import { errorMessage, isPlutoError, PlutoError } from "../core/errors.js";
import {
  addUsage,
  type FinishReason,
  type RunEndEvent,
  type RunEvent,
  type RunStatus,
  type ToolApprovalRequestEvent,
  type Usage,
  ZERO_USAGE,
} from "../core/events.js";
import type { ToolCallPart } from "../core/messages.js";
import type { Scope } from "../core/scope.js";
import type { ModelToolSpec, StreamStep } from "../llm/model-step.js";
import type { Tool } from "../tools/tool.js";
import { approvalRefusal, type BeforeToolCall } from "./before-tool-call.js";
import { runToolCall, type ToolCallOutcome } from "./run-tool-call.js";
import { historyFromEvents } from "./session-history.js";
import type { SessionWriter } from "./session-writer.js";
import { runToolPhase } from "./tool-phase.js";

/** The decided approvals a continuation run starts with (see `ExecuteRunOptions.resume`). */
export interface ResumeApprovals {
  /** The run that ended `awaiting-approval`. */
  continues: string;
  /** Its approval requests, each with the human's decision, in log order. */
  decisions: { request: ToolApprovalRequestEvent; approved: boolean; reason?: string }[];
}

/** Everything one run needs; built by the run manager for each run. */
export interface ExecuteRunOptions {
  agent: AgentDefinition;
  runId: string;
  /** The user's message for this turn. */
  input: string;
  /** The session's only writer for the duration of the run. */
  writer: SessionWriter;
  /** One model step per call (the provider seam). */
  streamStep: StreamStep;
  /** System prompt for every step of this run. */
  system: string;
  tools: ReadonlyMap<string, Tool>;
  toolSpecs: ModelToolSpec[];
  /** Scope and session passed to every tool call. */
  toolScope: { scope: Scope; sessionId: string };
  /** Saves a cut tool output in full and returns the artifact name. */
  saveFullToolOutput: (text: string, toolCallId: string) => Promise<string>;
  /** Aborts the run (user abort); the run's own time limit is added on top. */
  signal: AbortSignal;
  /**
   * Asked before each call of a known tool (tool policy, approvals); absent means every call runs.
   * See {@link BeforeToolCall}.
   */
  beforeToolCall?: BeforeToolCall;
  /**
   * Continue a run that ended `awaiting-approval`, once all its requests are decided: the run-start
   * names it in `continues`, the approved calls run and the refused ones are recorded as refused before
   * the first model step. `input` is then `""`.
   */
  resume?: ResumeApprovals;
  /** Clock for event times. @default () => new Date() */
  now?: () => Date;
}

/**
 * Pluto's agent loop (DESIGN.md data flow, "executor"): stream one model step, run its tool calls,
 * append every event to the session log, repeat until the model answers without tool calls or a
 * limit is hit (`spec.limits.max_steps`, `max_run_seconds`). The context of each step is rebuilt from
 * the log, so nothing but the log carries state between steps.
 *
 * Never throws for run failures: a failure becomes the final `run-end` event with status `failed`
 * (or `aborted`), as DESIGN.md requires of a started stream. Resolves once every event is durable.
 */
export async function executeRun(options: ExecuteRunOptions): Promise<RunEndEvent> {
  // A plain timer, cleared when the run ends: AbortSignal.timeout would keep every finished run's
  // signals alive until the limit passes (measured: thousands of retained signals under load).
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(runTimeLimitError(options.agent)),
    options.agent.limits.maxRunSeconds * 1000,
  );
  try {
    return await runLoop(options, deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function runLoop(options: ExecuteRunOptions, deadline: AbortSignal): Promise<RunEndEvent> {
  const { agent, runId, writer } = options;
  const now = options.now ?? (() => new Date());
  const time = (): string => now().toISOString();
  const emit = (event: RunEvent): void => writer.write(event);

  const signal = AbortSignal.any([options.signal, deadline]);
  let usage: Usage = ZERO_USAGE;
  let steps = 0;
  let output = "";

  const finish = async (status: RunStatus, error?: PlutoError): Promise<RunEndEvent> => {
    const end: RunEndEvent = { type: "run-end", runId, time: time(), status, usage, steps };
    if (output !== "") end.output = output;
    if (error !== undefined) end.error = { code: error.code, message: error.message };
    emit(end);
    await writer.flush();
    return end;
  };

  const runCall = (call: ToolCallPart): Promise<ToolCallOutcome> =>
    runToolCall(call, {
      tools: options.tools,
      context: { ...options.toolScope, runId, toolCallId: call.toolCallId, signal },
      maxChars: agent.limits.maxToolResultChars,
      timeoutMs: agent.limits.toolTimeoutSeconds * 1000,
      saveFullToolOutput: options.saveFullToolOutput,
    });

  emit({
    type: "run-start",
    runId,
    time: time(),
    agent: agent.name,
    input: options.input,
    model: agent.model,
    ...(options.resume === undefined ? {} : { continues: options.resume.continues }),
  });

  try {
    if (options.resume !== undefined) {
      // Durable before any approved call runs: a crash from here on leaves the calls decided and the
      // continuation interrupted, never pending again, so an approved call runs at most once.
      await writer.flush();
      await resumeDecidedCalls(options.resume, { runId, emit, time, run: runCall });
    }
    while (true) {
      if (signal.aborted) throw abortError(options.signal, deadline, agent);
      if (steps >= agent.limits.maxSteps) {
        return await finish(
          "failed",
          new PlutoError(
            "LIMIT_EXCEEDED",
            `The run stopped after ${steps} steps without a final answer. Raise spec.limits.max_steps in agent.yaml if the task needs more.`,
          ),
        );
      }
      steps += 1;
      const step = steps;
      const messages = historyFromEvents(writer.events);
      const request = {
        system: options.system,
        messages,
        tools: options.toolSpecs,
        signal,
        ...(agent.parameters.temperature === undefined ? {} : { temperature: agent.parameters.temperature }),
        ...(agent.parameters.maxOutputTokens === undefined
          ? {}
          : { maxOutputTokens: agent.parameters.maxOutputTokens }),
      };
      const modelStep = await options.streamStep(request);
      emit({ type: "step-start", runId, time: time(), step, model: modelStep.model });

      let text = "";
      const toolCalls: ToolCallPart[] = [];
      let finishReason: FinishReason = "unknown";
      let stepUsage: Usage = ZERO_USAGE;
      for await (const part of modelStep.parts) {
        switch (part.type) {
          case "text-delta":
            text += part.text;
            emit({ type: "text-delta", runId, time: time(), step, text: part.text });
            break;
          case "reasoning-delta":
            emit({ type: "reasoning-delta", runId, time: time(), step, text: part.text });
            break;
          case "tool-call":
            toolCalls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
            emit({ type: "tool-call", runId, time: time(), step, ...toolCalls.at(-1)! });
            break;
          case "finish":
            finishReason = part.finishReason;
            stepUsage = part.usage;
            break;
        }
      }
      usage = addUsage(usage, stepUsage);
      emit({ type: "step-end", runId, time: time(), step, finishReason, usage: stepUsage });
      if (signal.aborted) throw abortError(options.signal, deadline, agent);

      if (toolCalls.length === 0) {
        output = text;
        return await finish("completed");
      }
      const phase = await runToolPhase({
        agent,
        runId,
        step,
        calls: toolCalls,
        finishReason,
        tools: options.tools,
        beforeToolCall: options.beforeToolCall,
        run: runCall,
        emit,
        time,
      });
      if (phase.awaiting) return await finish("awaiting-approval");
    }
  } catch (error) {
    const failure = toPlutoError(error, options.signal, deadline, agent);
    try {
      return await finish(failure.code === "RUN_ABORTED" ? "aborted" : "failed", failure);
    } catch (writeError) {
      // The log itself failed (store unreachable, disk full, conflict): nothing more can be recorded.
      // Keep the store's own code (e.g. BACKEND_UNAVAILABLE, 503) so callers see why; the log holds only
      // whole batches, and the run is marked interrupted the next time the session is touched.
      const code = isPlutoError(writeError) ? writeError.code : "INTERNAL";
      throw new PlutoError(
        code,
        `The run's events could not be written to the session log: ${errorMessage(writeError)} The run stopped; it will show as interrupted (RUN_INTERRUPTED) once the store is back.`,
        { cause: writeError, retryable: isPlutoError(writeError) && writeError.retryable },
      );
    }
  }
}

function runTimeLimitError(agent: AgentDefinition): PlutoError {
  return new PlutoError(
    "LIMIT_EXCEEDED",
    `The run took longer than ${agent.limits.maxRunSeconds} s and was stopped. Raise spec.limits.max_run_seconds in agent.yaml if it needs more time.`,
  );
}

function abortError(user: AbortSignal, deadline: AbortSignal, agent: AgentDefinition): PlutoError {
  if (deadline.aborted && !user.aborted) return runTimeLimitError(agent);
  return new PlutoError("RUN_ABORTED", "The run was aborted.");
}

function toPlutoError(
  error: unknown,
  user: AbortSignal,
  deadline: AbortSignal,
  agent: AgentDefinition,
): PlutoError {
  if (user.aborted || deadline.aborted) return abortError(user, deadline, agent);
  if (isPlutoError(error)) return error;
  return new PlutoError("INTERNAL", `The run failed unexpectedly: ${errorMessage(error)}`, { cause: error });
}

/** Runs the approved calls of a continuation side by side and records each decided call's result. */
async function resumeDecidedCalls(
  resume: ResumeApprovals,
  context: {
    runId: string;
    emit: (event: RunEvent) => void;
    time: () => string;
    run: (call: ToolCallPart) => Promise<ToolCallOutcome>;
  },
): Promise<void> {
  const outcomes = await Promise.all(
    resume.decisions.map(({ request, approved, reason }) => {
      const call = { toolCallId: request.toolCallId, toolName: request.toolName, input: request.input };
      return approved ? context.run(call) : Promise.resolve(approvalRefusal(call, reason));
    }),
  );
  for (const [index, outcome] of outcomes.entries()) {
    const { request } = resume.decisions[index]!;
    context.emit({
      type: "tool-result",
      runId: context.runId,
      time: context.time(),
      step: request.step,
      toolCallId: request.toolCallId,
      toolName: request.toolName,
      ...outcome,
    });
  }
}
