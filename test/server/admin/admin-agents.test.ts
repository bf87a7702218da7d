import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { scriptedStream } from "../../support/scripted-step.js";
import { agentFiles, createAdminHarness, expectError, withToken } from "./admin-harness.js";

const ADMIN = "/api/v1/admin";
type Harness = Awaited<ReturnType<typeof createAdminHarness>>;
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setup(options: Parameters<typeof createAdminHarness>[0] = {}) {
  harness = await createAdminHarness(options);
  return harness;
}

/** Every entry below a folder, relative, sorted (`dir/` for folders). */
async function tree(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .map((entry) => {
      const relative = path
        .relative(folder, path.join(entry.parentPath, entry.name))
        .split(path.sep)
        .join("/");
      return entry.isDirectory() ? `${relative}/` : relative;
    })
    .sort();
}

describe("admin API: agents", () => {
  it("creates, reads, lists, replaces and deletes an agent of the caller's tenant, effective at once", async () => {
    const step = scriptedStream([{ text: "first" }, { text: "second" }]);
    const { app, tokens, agents } = await setup({ streamStep: step.streamStep });
    const files = agentFiles("helper", "First version.");

    const created = await app.request(
      `${ADMIN}/agents`,
      withToken(tokens.acmeAdmin, { method: "POST", body: { name: "helper", files } }),
    );
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ name: "helper", created: true, diagnostics: [] });
    const acmeFolder = agents.directoryOf("acme");
    expect(await tree(path.join(acmeFolder, "helper"))).toEqual([
      ".written-through-admin-api",
      "INSTRUCTIONS.md",
      "SYSTEM_PROMPT.md",
      "agent.yaml",
      "skills/",
      "skills/research/",
      "skills/research/SKILL.md",
    ]);
    expect(await tree(acmeFolder)).toEqual(
      expect.not.arrayContaining([expect.stringMatching(/^\.staging-/)]),
    );

    const read = await app.request(`${ADMIN}/agents/helper`, withToken(tokens.acmeAdmin));
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ name: "helper", valid: true, diagnostics: [], files, omitted: [] });

    const list = await app.request(`${ADMIN}/agents`, withToken(tokens.acmeAdmin));
    expect(await list.json()).toEqual({
      agents: [{ name: "helper", description: "First version.", valid: true }],
    });

    // Members of the tenant use it right away; other tenants never see it.
    const public1 = await app.request("/api/v1/agents/helper", withToken(tokens.acmeMember));
    expect(((await public1.json()) as { description: string }).description).toBe("First version.");
    const run1 = await app.request(
      "/api/v1/agents/helper/runs",
      withToken(tokens.acmeMember, { method: "POST", body: { input: "hi" } }),
    );
    expect(run1.status).toBe(200);
    expect(step.requests[0]?.system).toContain("You are helper.");
    await expectError(
      await app.request("/api/v1/agents/helper", withToken(tokens.betaAdmin)),
      404,
      "AGENT_NOT_FOUND",
    );
    await expectError(
      await app.request(`${ADMIN}/agents/helper`, withToken(tokens.betaAdmin)),
      404,
      "AGENT_NOT_FOUND",
    );
    await expectError(
      await app.request("/api/v1/agents/helper", withToken(tokens.operator)),
      404,
      "AGENT_NOT_FOUND",
    );

    const replacement: Record<string, string> = {
      ...agentFiles("helper", "Second version."),
      "SYSTEM_PROMPT.md": "You are helper, version two.\n",
    };
    delete replacement["skills/research/SKILL.md"];
    const replaced = await app.request(
      `${ADMIN}/agents/helper`,
      withToken(tokens.acmeAdmin, { method: "PUT", body: { files: replacement } }),
    );
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toEqual({ name: "helper", created: false, diagnostics: [] });
    expect(await tree(path.join(acmeFolder, "helper"))).toEqual([
      ".written-through-admin-api",
      "INSTRUCTIONS.md",
      "SYSTEM_PROMPT.md",
      "agent.yaml",
    ]);
    const public2 = await app.request("/api/v1/agents/helper", withToken(tokens.acmeMember));
    expect(((await public2.json()) as { description: string }).description).toBe("Second version.");
    const run2 = await app.request(
      "/api/v1/agents/helper/runs",
      withToken(tokens.acmeMember, { method: "POST", body: { input: "again" } }),
    );
    expect(run2.status).toBe(200);
    expect(step.requests[1]?.system).toContain("version two");

    // Another tenant cannot delete it.
    await expectError(
      await app.request(`${ADMIN}/agents/helper`, withToken(tokens.betaAdmin, { method: "DELETE" })),
      404,
      "AGENT_NOT_FOUND",
    );
    const deleted = await app.request(
      `${ADMIN}/agents/helper`,
      withToken(tokens.acmeAdmin, { method: "DELETE" }),
    );
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    expect(await tree(acmeFolder)).toEqual([]);
    await expectError(
      await app.request("/api/v1/agents/helper", withToken(tokens.acmeMember)),
      404,
      "AGENT_NOT_FOUND",
    );
    await expectError(
      await app.request(`${ADMIN}/agents/helper`, withToken(tokens.acmeAdmin, { method: "DELETE" })),
      404,
      "AGENT_NOT_FOUND",
    );
  });

  it("PUT creates a missing agent (201); POST refuses an existing one (400) and changes nothing", async () => {
    const { app, tokens, agents } = await setup();
    const put = await app.request(
      `${ADMIN}/agents/writer`,
      withToken(tokens.operator, { method: "PUT", body: { files: agentFiles("writer") } }),
    );
    expect(put.status).toBe(201);
    expect(((await put.json()) as { created: boolean }).created).toBe(true);
    const file = path.join(agents.directoryOf("default"), "writer", "agent.yaml");
    const before = await stat(file);
    const error = await expectError(
      await app.request(
        `${ADMIN}/agents`,
        withToken(tokens.operator, {
          method: "POST",
          body: { name: "writer", files: agentFiles("writer", "Other.") },
        }),
      ),
      400,
      "BAD_REQUEST",
    );
    expect(error.message).toContain("already exists");
    expect(error.details).toEqual({ agent: "writer", exists: true });
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
  });

  it("answers 422 AGENT_INVALID with relative diagnostics, keeps the live agent and leaves no staging folder", async () => {
    const { app, tokens, agents, root } = await setup();
    await app.request(
      `${ADMIN}/agents`,
      withToken(tokens.acmeAdmin, {
        method: "POST",
        body: { name: "keeper", files: agentFiles("keeper", "Live.") },
      }),
    );
    const folder = agents.directoryOf("acme");
    const liveBefore = await readFile(path.join(folder, "keeper", "agent.yaml"), "utf8");

    const cases: Array<{ files: Record<string, string>; file: string; message: RegExp }> = [
      {
        files: {
          ...agentFiles("keeper"),
          "agent.yaml": agentFiles("keeper")["agent.yaml"]!.replace("openai/", "nosuch/"),
        },
        file: "agent.yaml",
        message: /Unknown provider "nosuch"/,
      },
      {
        files: { "agent.yaml": agentFiles("keeper")["agent.yaml"]!, "INSTRUCTIONS.md": "x" },
        file: "agent.yaml",
        message: /"SYSTEM_PROMPT\.md", which does not exist \(SYSTEM_PROMPT\.md\)/,
      },
      {
        files: { ...agentFiles("keeper"), "agent.yaml": "spec: [unclosed\n" },
        file: "agent.yaml",
        message: /./,
      },
      {
        files: { ...agentFiles("keeper"), "agent.yaml": agentFiles("other")["agent.yaml"]! },
        file: "agent.yaml",
        message: /does not match/,
      },
      { files: {}, file: "agent.yaml", message: /agent\.yaml not found/ },
    ];
    for (const entry of cases) {
      const response = await app.request(
        `${ADMIN}/agents/keeper`,
        withToken(tokens.acmeAdmin, { method: "PUT", body: { files: entry.files } }),
      );
      const text = await response.clone().text();
      expect(text).not.toContain(root);
      expect(text).not.toContain(".staging-");
      const error = await expectError(response, 422, "AGENT_INVALID");
      const diagnostics = error.details?.diagnostics as Array<{ file: string; message: string }>;
      expect(diagnostics.length).toBeGreaterThan(0);
      expect(
        diagnostics.some(
          (diagnostic) => diagnostic.file === entry.file && entry.message.test(diagnostic.message),
        ),
        JSON.stringify(diagnostics),
      ).toBe(true);
      for (const diagnostic of diagnostics) expect(path.isAbsolute(diagnostic.file)).toBe(false);
      expect(await tree(folder)).toEqual(expect.not.arrayContaining([expect.stringMatching(/staging/)]));
      expect(await readFile(path.join(folder, "keeper", "agent.yaml"), "utf8")).toBe(liveBefore);
    }
    // An invalid new agent leaves nothing at all.
    await expectError(
      await app.request(
        `${ADMIN}/agents`,
        withToken(tokens.acmeAdmin, {
          method: "POST",
          body: { name: "broken", files: { "agent.yaml": "" } },
        }),
      ),
      422,
      "AGENT_INVALID",
    );
    expect((await tree(folder)).filter((entry) => !entry.startsWith("keeper/"))).toEqual([]);
    expect(await tree(folder)).toContain("keeper/agent.yaml");
  });

  it("refuses hostile and malformed bodies with 400/413 and writes nothing", async () => {
    const { app, tokens, agents } = await setup();
    const folder = agents.directoryOf("acme");
    const valid = agentFiles("target");
    const hostilePaths = [
      "../escape.md",
      "../../etc/passwd",
      "/etc/passwd",
      "skills/../../x/SKILL.md",
      "skills\\evil\\SKILL.md",
      "agent.yaml\u0000.txt",
      "./agent.yaml",
      "",
      "skills//SKILL.md",
      ".hidden",
    ];
    for (const hostile of hostilePaths) {
      const response = await app.request(
        `${ADMIN}/agents/target`,
        withToken(tokens.acmeAdmin, { method: "PUT", body: { files: { ...valid, [hostile]: "x" } } }),
      );
      await expectError(response, 400, "INVALID_NAME");
    }
    for (const outside of ["notes.md", "skills/SKILL.md", "prompts/x.md", "skills"]) {
      await expectError(
        await app.request(
          `${ADMIN}/agents/target`,
          withToken(tokens.acmeAdmin, { method: "PUT", body: { files: { ...valid, [outside]: "x" } } }),
        ),
        400,
        "BAD_REQUEST",
      );
    }
    await expectError(
      await app.request(
        `${ADMIN}/agents/target`,
        withToken(tokens.acmeAdmin, {
          method: "PUT",
          body: { files: { ...valid, "skills/a/b": "x", "skills/a/b/SKILL.md": "y" } },
        }),
      ),
      400,
      "BAD_REQUEST",
    );
    for (const name of ["../evil", "/abs", "a/b", "a\u0000b", ".staging-x", ""]) {
      await expectError(
        await app.request(
          `${ADMIN}/agents`,
          withToken(tokens.acmeAdmin, { method: "POST", body: { name, files: valid } }),
        ),
        400,
        "INVALID_NAME",
      );
    }
    for (const encoded of ["..%2Fevil", "%2e%2e", "a%00b", ".staging-1"]) {
      const response = await app.request(
        `${ADMIN}/agents/${encoded}`,
        withToken(tokens.acmeAdmin, { method: "PUT", body: { files: valid } }),
      );
      expect([400, 404]).toContain(response.status);
      expect(Object.keys((await response.json()) as object)).toEqual(["error"]);
    }
    const malformed: unknown[] = [
      "{not json",
      "[]",
      { files: "agent.yaml" },
      { files: { "agent.yaml": 42 } },
      { files: valid, extra: true },
      { name: "target", files: valid },
    ];
    for (const body of malformed) {
      await expectError(
        await app.request(`${ADMIN}/agents/target`, withToken(tokens.acmeAdmin, { method: "PUT", body })),
        400,
        "BAD_REQUEST",
      );
    }
    const noType = await app.request(`${ADMIN}/agents/target`, {
      method: "PUT",
      headers: { authorization: `Bearer ${tokens.acmeAdmin}`, "content-type": "text/plain" },
      body: JSON.stringify({ files: valid }),
    });
    await expectError(noType, 400, "BAD_REQUEST");

    const big = "x".repeat(1024 * 1024 + 1);
    await expectError(
      await app.request(
        `${ADMIN}/agents/target`,
        withToken(tokens.acmeAdmin, { method: "PUT", body: { files: { ...valid, "INSTRUCTIONS.md": big } } }),
      ),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    const chunk = "y".repeat(900 * 1024);
    const many = {
      ...valid,
      ...Object.fromEntries([1, 2, 3, 4, 5].map((index) => [`skills/s${index}/notes.md`, chunk])),
    };
    await expectError(
      await app.request(
        `${ADMIN}/agents/target`,
        withToken(tokens.acmeAdmin, { method: "PUT", body: { files: many } }),
      ),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    const tooMany = {
      ...valid,
      ...Object.fromEntries(Array.from({ length: 200 }, (_, index) => [`skills/s/f${index}.md`, "z"])),
    };
    await expectError(
      await app.request(
        `${ADMIN}/agents/target`,
        withToken(tokens.acmeAdmin, { method: "PUT", body: { files: tooMany } }),
      ),
      400,
      "BAD_REQUEST",
    );
    expect(await tree(folder)).toEqual([]);
    expect(await tree(path.dirname(folder))).toEqual([]);
  });

  it("lists only the caller's tenant and reports invalid agents; GET omits files outside the layout", async () => {
    const { app, tokens, agents } = await setup();
    await app.request(
      `${ADMIN}/agents`,
      withToken(tokens.acmeAdmin, { method: "POST", body: { name: "one", files: agentFiles("one") } }),
    );
    await app.request(
      `${ADMIN}/agents`,
      withToken(tokens.betaAdmin, { method: "POST", body: { name: "two", files: agentFiles("two") } }),
    );
    // Edited on disk: broken, with an extra file the API does not carry.
    const { writeFile } = await import("node:fs/promises");
    const folder = path.join(agents.directoryOf("acme"), "one");
    await writeFile(
      path.join(folder, "agent.yaml"),
      (await readFile(path.join(folder, "agent.yaml"), "utf8")).replace("openai/", "nosuch/"),
    );
    await writeFile(path.join(folder, "notes.txt"), "scratch");
    await writeFile(
      path.join(folder, "skills", "research", "logo.png"),
      Buffer.from([0xff, 0xfe, 0x00, 0x80]),
    );

    const acme = await app.request(`${ADMIN}/agents`, withToken(tokens.acmeAdmin));
    expect(await acme.json()).toEqual({ agents: [{ name: "one", description: "", valid: false }] });
    const beta = await app.request(`${ADMIN}/agents`, withToken(tokens.betaAdmin));
    expect(await beta.json()).toEqual({
      agents: [{ name: "two", description: "A helpful assistant.", valid: true }],
    });

    const read = await app.request(`${ADMIN}/agents/one`, withToken(tokens.acmeAdmin));
    const body = (await read.json()) as {
      valid: boolean;
      omitted: string[];
      files: Record<string, string>;
      diagnostics: Array<{ file: string }>;
    };
    expect(body.valid).toBe(false);
    expect(body.omitted).toEqual(["notes.txt", "skills/research/logo.png"]);
    expect(Object.keys(body.files).sort()).toEqual([
      "INSTRUCTIONS.md",
      "SYSTEM_PROMPT.md",
      "agent.yaml",
      "skills/research/SKILL.md",
    ]);
    expect(body.diagnostics[0]?.file).toBe("agent.yaml");
    expect(JSON.stringify(body)).not.toContain(agents.directoryOf("acme"));
  });

  it("forbids every admin route to members (403) and requires a credential (401)", async () => {
    const { app, tokens } = await setup();
    const requests: Array<[string, string, unknown?]> = [
      ["GET", "/agents"],
      ["GET", "/agents/helper"],
      ["POST", "/agents", { name: "helper", files: agentFiles("helper") }],
      ["PUT", "/agents/helper", { files: agentFiles("helper") }],
      ["DELETE", "/agents/helper"],
      ["GET", "/keys"],
      ["POST", "/keys", { role: "admin" }],
      ["DELETE", "/keys/0123456789ab"],
      ["POST", "/login-links", { role: "admin" }],
      ["GET", "/no-such-route"],
    ];
    for (const [method, route, body] of requests) {
      await expectError(
        await app.request(`${ADMIN}${route}`, withToken(tokens.acmeMember, { method, body })),
        403,
        "FORBIDDEN",
      );
      await expectError(await app.request(`${ADMIN}${route}`, { method }), 401, "UNAUTHORIZED");
    }
  });
});
