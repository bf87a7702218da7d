import { describe, expect, it } from "vitest";
import { scriptedStream } from "../../support/scripted-step.js";
import {
  type ArtifactJson,
  createAgentProtocolHarness,
  json,
  type StepJson,
  type TaskJson,
  upload,
} from "./agent-protocol-harness.js";

describe("Agent Protocol uploads are protected from the model's artifact_write", () => {
  it("refuses to overwrite an uploaded file, tells the model why, and keeps the user's bytes", async () => {
    const script = scriptedStream();
    const { request, artifacts } = createAgentProtocolHarness({
      streamStep: script.streamStep,
      artifactWriteTool: true,
    });
    const task = (await request<TaskJson>("POST", "/ap/v1/agent/tasks", json({ input: "edit my file" })))
      .body;
    const artifactsPath = `/ap/v1/agent/tasks/${task.task_id}/artifacts`;
    const uploaded = await request<ArtifactJson>(
      "POST",
      artifactsPath,
      upload("the user's original", "notes.txt"),
    );
    expect(uploaded.status).toBe(200);
    // The model finds the stored name (artifact_read lists names) and tries to write over it.
    const [stored] = await artifacts.list({ tenant: "default", agent: "test-agent" }, { prefix: "tasks/" });
    expect(stored?.name).toMatch(/^tasks\/.+\/notes\.txt$/);
    const name = stored?.name ?? "";
    script.push(
      {
        toolCalls: [
          {
            toolCallId: "call-1",
            toolName: "artifact_write",
            input: { name, content: "overwritten by the model" },
          },
        ],
      },
      { text: "I could not change it." },
    );

    const step = await request<StepJson>("POST", `/ap/v1/agent/tasks/${task.task_id}/steps`, json({}));
    expect(step.status).toBe(200);
    expect(step.body.output).toBe("I could not change it.");
    const download = await request<Uint8Array>("GET", `${artifactsPath}/${uploaded.body.artifact_id}`);
    expect(new TextDecoder().decode(download.body)).toBe("the user's original");
    const toolMessage = JSON.stringify(script.requests[1]?.messages);
    expect(toolMessage).toContain("cannot be replaced");
    expect(toolMessage).toContain("notes.edited.txt");
  });
});
