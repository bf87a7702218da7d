import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Scope } from "../../../src/core/scope.js";
import type { ArtifactStore } from "../../../src/services/artifact/artifact-store.js";
import { InMemoryArtifactStore } from "../../../src/services/artifact/in-memory-artifact-store.js";
import type { BundleProgress } from "../../../src/services/bundle/bundle-format.js";
import { exportAgent } from "../../../src/services/bundle/export-agent.js";
import { importBundle } from "../../../src/services/bundle/import-bundle.js";
import { InMemoryMemoryStore } from "../../../src/services/memory/in-memory-memory-store.js";
import type { MemoryStore } from "../../../src/services/memory/memory-store.js";
import { InMemorySessionStore } from "../../../src/services/session/in-memory-session-store.js";
import type { SessionStore } from "../../../src/services/session/session-store.js";
import { fsStores, readTree, seedAgent, tempRoot } from "./bundle-fixture.js";

const scope: Scope = { tenant: "default", agent: "assistant" };

interface Stores {
  sessions: SessionStore;
  memory: MemoryStore;
  artifacts: ArtifactStore;
}

/** Everything the stores hold for a scope, in comparable form. */
async function snapshot(stores: Stores, target: Scope) {
  const sessions = (await stores.sessions.list(target)).sort((a, b) => (a.id < b.id ? -1 : 1));
  const memory = await stores.memory.list(target);
  const artifacts = await stores.artifacts.list(target);
  return {
    sessions: await Promise.all(
      sessions.map(async (info) => ({
        id: info.id,
        lastSeq: info.lastSeq,
        events: await stores.sessions.read({ ...target, session: info.id }),
      })),
    ),
    memory: await Promise.all(
      memory.map(async (document) => [document, await stores.memory.read(target, document)]),
    ),
    artifacts: await Promise.all(
      artifacts.map(async ({ name }) => {
        const artifact = await stores.artifacts.get(target, name);
        const { createdAt: _createdAt, ...info } = artifact?.info ?? {};
        return { info, body: Buffer.from(artifact?.body ?? []).toString("base64") };
      }),
    ),
  };
}

describe("export and import round trip", () => {
  let root: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ root, cleanup } = await tempRoot("bundle-round-trip"));
  });
  afterEach(() => cleanup());

  it("filesystem → in-memory → filesystem reproduces every event and every byte", async () => {
    const sourceData = join(root, "source");
    const agentDirectory = join(root, "agents/assistant");
    await seedAgent({ root, dataDir: sourceData, agentDirectory, scope });
    const source = fsStores(sourceData);

    const progress: BundleProgress[] = [];
    const first = join(root, "first.tar.gz");
    const exported = await exportAgent({
      scope,
      agentDirectory,
      ...source,
      out: first,
      onProgress: (report) => progress.push(report),
      sessionPageSize: 700,
    });
    const paths = exported.manifest.entries.map((entry) => entry.path);
    expect([...paths].sort()).toEqual(
      [
        "agent/SYSTEM_PROMPT.md",
        "agent/agent.yaml",
        "agent/skills/search-notes/SKILL.md",
        "sessions/s-1.jsonl",
        "sessions/big.session.jsonl",
        "memory/2026-11-21.md",
        "memory/2026-11-22.md",
        "memory/MEMORY.md",
        "artifacts/binary.bin",
        "artifacts-meta/binary.bin.json",
        `artifacts/deep/${"n".repeat(120)}/${"x".repeat(100)}.dat`,
        `artifacts-meta/deep/${"n".repeat(120)}/${"x".repeat(100)}.dat.json`,
        "artifacts/reports/q1.md",
        "artifacts-meta/reports/q1.md.json",
      ].sort(),
    );
    expect(paths.slice(0, 4).map((path) => path.split("/")[0])).toEqual([
      "agent",
      "agent",
      "agent",
      "sessions",
    ]);
    expect(new Set(exported.manifest.entries.map((entry) => entry.path)).size).toBe(14);
    expect(exported.skipped).toEqual(
      expect.arrayContaining([
        { path: ".git", reason: "hidden" },
        { path: "linked-secret.txt", reason: "symbolic link" },
        { path: "linked-folder", reason: "symbolic link" },
      ]),
    );
    expect(progress[0]).toEqual({ phase: "scan", done: 0, total: 0, bytes: 0 });
    expect(progress.at(-1)).toMatchObject({ phase: "export", done: 15, total: 15 });
    expect((await readdir(root)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    const sourceLog = await readFile(join(sourceData, "sessions/assistant/s-1.jsonl"));
    const fsBefore = await snapshot(source, scope);

    const memoryStores = {
      sessions: new InMemorySessionStore(),
      memory: new InMemoryMemoryStore(),
      artifacts: new InMemoryArtifactStore(),
    };
    const imports: BundleProgress[] = [];
    const imported = await importBundle({
      file: first,
      agentsDir: join(root, "agents-memory"),
      ...memoryStores,
      onProgress: (report) => imports.push(report),
      sessionBatchSize: 999,
    });
    expect(imported).toMatchObject({
      scope,
      agentFiles: 3,
      sessions: 2,
      events: 2508,
      memoryDocuments: 3,
      artifacts: 3,
    });
    expect(
      imports.map((report) => report.phase).filter((phase, index, all) => all[index - 1] !== phase),
    ).toEqual(["read", "verify", "import"]);
    expect(imports.find((report) => report.phase === "read")?.total).toBe((await stat(first)).size);
    expect(imports.at(-1)).toMatchObject({ phase: "import", done: 14, total: 14 });
    expect(await snapshot(memoryStores, scope)).toEqual(fsBefore);

    const second = new PassThrough();
    const secondBytes = buffer(second);
    await exportAgent({ scope, agentDirectory: imported.agentDirectory, ...memoryStores, out: second });
    const targetData = join(root, "target");
    const target = fsStores(targetData);
    const back = await importBundle({
      stream: Readable.from([await secondBytes]),
      agentsDir: join(root, "agents-back"),
      ...target,
    });
    expect(back.events).toBe(2508);
    expect(await snapshot(target, scope)).toEqual(fsBefore);
    await target.sessions.close();
    expect(
      (await readFile(join(targetData, "sessions/assistant/s-1.jsonl"), "utf8")).split("\n").slice(1),
    ).toEqual(sourceLog.toString("utf8").split("\n").slice(1));
    for (const name of ["2026-11-21.md", "2026-11-22.md", "MEMORY.md"]) {
      expect(await readFile(join(targetData, "memory/assistant", name))).toEqual(
        await readFile(join(sourceData, "memory/assistant", name)),
      );
    }
    const agentBefore = await readTree(agentDirectory);
    agentBefore.delete(".git/config");
    expect(await readTree(join(root, "agents-back/assistant"))).toEqual(agentBefore);
  }, 60_000);

  it("imports into another tenant and refuses to replace existing state unless overwrite", async () => {
    const agentDirectory = join(root, "agents/assistant");
    await seedAgent({ root, dataDir: join(root, "source"), agentDirectory, scope, bigArtifactBytes: 10 });
    const file = join(root, "bundle.tar.gz");
    await exportAgent({ scope, agentDirectory, ...fsStores(join(root, "source")), out: file });
    const target = fsStores(join(root, "target"));
    const agentsDir = join(root, "tenant-agents");
    const result = await importBundle({ file, tenant: "acme", agentsDir, ...target });
    expect(result.scope).toEqual({ tenant: "acme", agent: "assistant" });
    expect(await target.memory.list({ tenant: "acme", agent: "assistant" })).toEqual([
      "2026-11-21",
      "2026-11-22",
      "MEMORY",
    ]);
    expect(await target.sessions.list(scope)).toEqual([]);

    await target.memory.write({ tenant: "acme", agent: "assistant" }, "MEMORY", "changed locally\n");
    const refused = await importBundle({ file, tenant: "acme", agentsDir, ...target }).catch(
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: "BAD_REQUEST" });
    expect(String((refused as Error).message)).toMatch(/already has .*agent folder.*overwrite/);
    expect(await target.memory.read({ tenant: "acme", agent: "assistant" }, "MEMORY")).toBe(
      "changed locally\n",
    );

    await importBundle({ file, tenant: "acme", agentsDir, ...target, overwrite: true });
    expect(await target.memory.read({ tenant: "acme", agent: "assistant" }, "MEMORY")).toBe(
      "# Memory\r\n\r\n- CRLF kept\r\n- no final newline",
    );
    expect(
      (await target.sessions.info({ tenant: "acme", agent: "assistant", session: "s-1" }))?.lastSeq,
    ).toBe(8);
    expect((await readdir(agentsDir)).sort()).toEqual(["assistant"]);
  }, 60_000);

  it("refuses hostile agent names when exporting", async () => {
    for (const agent of ["../x", "/etc", "a/b", "", "x\0"]) {
      await expect(
        exportAgent({
          scope: { tenant: "default", agent },
          agentDirectory: root,
          ...fsStores(root),
          out: new PassThrough(),
        }),
      ).rejects.toMatchObject({ code: "INVALID_NAME" });
    }
    await expect(
      exportAgent({
        scope,
        agentDirectory: join(root, "missing"),
        ...fsStores(root),
        out: join(root, "x.tar.gz"),
      }),
    ).rejects.toMatchObject({ code: "AGENT_NOT_FOUND" });
    await expect(
      exportAgent({ scope, agentDirectory: root, ...fsStores(root), out: join(root, "x.tar.gz") }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect((await readdir(root)).filter((name) => name.includes("x.tar.gz"))).toEqual([]);
  });
});
