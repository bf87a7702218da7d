import { lstat, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../../src/runtime.js";
import { storedAgentFiles } from "../../contracts/agent-store.contract.js";
import { postgresUrlOrSkip, uniqueName } from "../../support/services.js";
import { dropSchema } from "../postgres/postgres-fixture.js";

const url = await postgresUrlOrSkip();

describe.skipIf(url === undefined)("createRuntime with services.agents.backend: postgres", () => {
  const schema = uniqueName("pluto_test_runtime_agents");
  const folders: string[] = [];
  afterAll(async () => {
    if (url !== undefined) await dropSchema(url, schema);
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it("migrates the schema, exposes the store and loads agents from copies under <data_dir>/agents-cache", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "pluto-runtime-agents-"));
    folders.push(cwd);
    await writeFile(
      path.join(cwd, "pluto.yaml"),
      `services:\n  agents: { backend: postgres, url: "\${DATABASE_URL}", schema: ${schema}, pool_max: 2 }\n`,
    );
    const logs: string[] = [];
    const runtime = await createRuntime({
      cwd,
      env: { DATABASE_URL: url ?? "" },
      log: (level, message) => logs.push(`${level}: ${message}`),
    });
    try {
      expect(runtime.config.services.agents).toMatchObject({ backend: "postgres", schema, poolMax: 2 });
      expect(logs.some((line) => line.includes(`PostgreSQL schema "${schema}": applied`))).toBe(true);
      const store = runtime.agentStore;
      if (store === undefined) throw new Error("expected an agent store");
      await store.put("default", "helper", storedAgentFiles("helper", "from postgres"));
      const agent = await runtime.agents.get("helper");
      expect(agent.systemPrompt).toContain("(from postgres)");
      const cacheDir = path.join(cwd, ".pluto", "agents-cache", "default");
      expect(runtime.agents.directoryOf()).toBe(cacheDir);
      expect((await lstat(path.join(cacheDir, "helper"))).isSymbolicLink()).toBe(true);
      expect((await runtime.agents.list()).map((summary) => summary.name)).toEqual(["helper"]);
    } finally {
      await runtime.close();
    }
  });

  it("keeps the agents folder when services.agents is left at its default", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "pluto-runtime-agents-fs-"));
    folders.push(cwd);
    const runtime = await createRuntime({ cwd, env: {} });
    try {
      expect(runtime.agentStore).toBeUndefined();
      expect(runtime.agents.directoryOf()).toBe(path.join(cwd, ".pluto", "agents"));
    } finally {
      await runtime.close();
    }
  });
});
