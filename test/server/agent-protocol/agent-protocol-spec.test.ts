import { describe, expect, it } from "vitest";
import { responseSpec, schemaValidator, templateOf } from "./agent-protocol-spec.js";

/** The validators the other tests rely on really enforce the spec (so a passing test means something). */
describe("Agent Protocol spec validators", () => {
  it("require the spec's required fields, types and enums", () => {
    const task = schemaValidator("Task");
    expect(task.safeParse({ task_id: "t", artifacts: [], input: null, additional_input: {} }).success).toBe(
      true,
    );
    expect(task.safeParse({ task_id: "t", input: "x" }).success).toBe(false);
    expect(task.safeParse({ task_id: 1, artifacts: [] }).success).toBe(false);
    expect(task.safeParse({ task_id: "t", artifacts: [{ artifact_id: "a", file_name: "f" }] }).success).toBe(
      false,
    );
    const step = schemaValidator("Step");
    const valid = {
      step_id: "s",
      task_id: "t",
      status: "completed",
      is_last: true,
      artifacts: [],
      output: null,
    };
    expect(step.safeParse(valid).success).toBe(true);
    expect(step.safeParse({ ...valid, status: "failed" }).success).toBe(false);
    expect(step.safeParse({ ...valid, is_last: undefined }).success).toBe(false);
    const pagination = schemaValidator("Pagination");
    expect(pagination.safeParse({ total_items: 1, total_pages: 1, current_page: 1 }).success).toBe(false);
  });

  it("map both mount points to the spec's paths and responses", () => {
    expect(templateOf("/api/v1/agent/tasks/abc/steps/run_1")).toBe(
      "/ap/v1/agent/tasks/{task_id}/steps/{step_id}",
    );
    expect(templateOf("/ap/v1/agent/tasks")).toBe("/ap/v1/agent/tasks");
    expect(responseSpec("GET", "/ap/v1/agent/tasks/x/artifacts/y", 200)?.mediaType).toBe(
      "application/octet-stream",
    );
    expect(responseSpec("GET", "/ap/v1/agent/tasks/x", 404)?.mediaType).toBe("application/json");
    expect(responseSpec("POST", "/ap/v1/agent/tasks", 400)).toBeUndefined();
  });
});
