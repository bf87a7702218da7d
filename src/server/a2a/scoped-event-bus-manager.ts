import {
  DefaultExecutionEventBus,
  type ExecutionEventBus,
  type ExecutionEventBusManager,
  type ServerCallContext,
} from "@a2a-js/sdk/server";
import { scopeOfCall } from "./a2a-scope.js";

/**
 * The SDK's `ExecutionEventBusManager` keyed by Pluto tenant, agent and task id (from the call's
 * Pluto scope, not the client-chosen A2A `tenant`). It holds only the live buses of executions
 * running in this process; task state itself is in the task store, so other workers answer from there.
 */
export class ScopedEventBusManager implements ExecutionEventBusManager {
  readonly #buses = new Map<string, ExecutionEventBus>();

  /** See the SDK's `createOrGetByTaskId`. */
  createOrGetByTaskId(taskId: string, context?: ServerCallContext): ExecutionEventBus {
    const key = busKey(taskId, context);
    let bus = this.#buses.get(key);
    if (bus === undefined) {
      bus = new DefaultExecutionEventBus();
      this.#buses.set(key, bus);
    }
    return bus;
  }

  /** See the SDK's `getByTaskId`. */
  getByTaskId(taskId: string, context?: ServerCallContext): ExecutionEventBus | undefined {
    return this.#buses.get(busKey(taskId, context));
  }

  /** See the SDK's `cleanupByTaskId`. */
  cleanupByTaskId(taskId: string, context?: ServerCallContext): void {
    const key = busKey(taskId, context);
    this.#buses.get(key)?.removeAllListeners();
    this.#buses.delete(key);
  }

  /** Number of live buses (for tests and metrics). */
  get size(): number {
    return this.#buses.size;
  }
}

function busKey(taskId: string, context: ServerCallContext | undefined): string {
  const scope = scopeOfCall(context);
  return `${scope.tenant}/${scope.agent}/${taskId}`;
}
