import { z } from "zod";
import { PlutoError } from "../../core/errors.js";
import { MAX_INPUT_CHARS } from "../schemas.js";

/**
 * Request bodies of the Agent Protocol v1 (AI Engineer Foundation, `schemas/openapi.yml`:
 * `TaskRequestBody`, `StepRequestBody`) and the task data Pluto keeps for it in the `TaskStore`.
 */

/** `TaskInput` / `StepInput`: "any value is allowed", typed `object` by the spec; `null` means absent. */
const AdditionalInput = z.record(z.string(), z.unknown()).nullable().optional();

/** Body of `POST /agent/tasks` (`TaskRequestBody`); unknown fields are ignored, as the spec allows them. */
export const TaskRequestBody = z.object({
  input: z.string().max(MAX_INPUT_CHARS).nullable().optional(),
  additional_input: AdditionalInput,
});
export type TaskRequestBody = z.infer<typeof TaskRequestBody>;

/** Body of `POST /agent/tasks/{task_id}/steps` (`StepRequestBody`); an empty body means "continue". */
export const StepRequestBody = z.object({
  input: z.string().max(MAX_INPUT_CHARS).nullable().optional(),
  additional_input: AdditionalInput,
});
export type StepRequestBody = z.infer<typeof StepRequestBody>;

/** An artifact of a task as the task record keeps it (`Artifact` of the spec plus where its bytes are). */
export const StoredArtifact = z.object({
  artifact_id: z.string(),
  agent_created: z.boolean(),
  file_name: z.string(),
  relative_path: z.string().nullable(),
  /** Name in the `ArtifactStore`, scope `{ tenant, agent: task.agent }`. */
  name: z.string(),
  /** The step (run id) that produced it; absent for uploads. */
  step_id: z.string().optional(),
});
export type StoredArtifact = z.infer<typeof StoredArtifact>;

/** `TaskRecord.data` of an Agent Protocol task. */
export const AgentProtocolTaskData = z.object({
  input: z.string().nullable(),
  additional_input: z.record(z.string(), z.unknown()),
  artifacts: z.array(StoredArtifact),
  /** `additional_input` of steps that had one, by step id (run id). */
  step_inputs: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});
export type AgentProtocolTaskData = z.infer<typeof AgentProtocolTaskData>;

/** Page size when `page_size` is absent (the spec's default). */
export const DEFAULT_PAGE_SIZE = 10;
/** Largest page size served; larger requests are served this many items and say so in `pagination`. */
export const MAX_PAGE_SIZE = 100;

/** A page request: 1-based page number and its size. */
export interface PageRequest {
  currentPage: number;
  pageSize: number;
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) {
    throw new PlutoError(
      "BAD_REQUEST",
      `${name} must be an integer of at least 1, got ${JSON.stringify(value.slice(0, 40))}.`,
      {
        details: { parameter: name },
      },
    );
  }
  return Number(value);
}

/**
 * Reads the spec's pagination query parameters: `current_page` (default 1, minimum 1) and `page_size`
 * (default {@link DEFAULT_PAGE_SIZE}, minimum 1, capped at {@link MAX_PAGE_SIZE}).
 * @throws PlutoError `BAD_REQUEST` for a value that is not an integer of at least 1.
 */
export function pageRequest(query: (name: string) => string | undefined): PageRequest {
  return {
    currentPage: positiveInteger("current_page", query("current_page"), 1),
    pageSize: Math.min(positiveInteger("page_size", query("page_size"), DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE),
  };
}

/** The spec's `Pagination` object for `total` items. `total_pages` is 0 when there are no items. */
export function paginationOf(total: number, page: PageRequest) {
  return {
    total_items: total,
    total_pages: Math.ceil(total / page.pageSize),
    current_page: page.currentPage,
    page_size: page.pageSize,
  };
}

/** The items of one page of an in-memory list. */
export function pageOf<T>(items: readonly T[], page: PageRequest): T[] {
  const offset = (page.currentPage - 1) * page.pageSize;
  return items.slice(offset, offset + page.pageSize);
}
