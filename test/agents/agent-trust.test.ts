import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentTrust, TENANT_WRITTEN_MARKER } from "../../src/agents/agent-trust.js";

describe("agentTrust", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "pluto-trust-"));
    await mkdir(path.join(root, "operator"));
    await mkdir(path.join(root, "written"));
    await writeFile(path.join(root, "written", TENANT_WRITTEN_MARKER), "{}\n");
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("trusts only the default tenant's own files on disk as the operator's", async () => {
    const operator = path.join(root, "operator");
    expect(await agentTrust({ tenant: "default", directory: operator, fromStore: false })).toBe("operator");
    expect(await agentTrust({ tenant: "acme", directory: operator, fromStore: false })).toBe("tenant");
    expect(await agentTrust({ tenant: "default", directory: operator, fromStore: true })).toBe("tenant");
    const written = path.join(root, "written");
    expect(await agentTrust({ tenant: "default", directory: written, fromStore: false })).toBe("tenant");
  });
});
