import { appendFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextFireTimes } from "../../src/agents/schedule-times.js";
import { runPluto, tempProject } from "../support/pluto-process.js";

describe("pluto schedules list", () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  const env = { OPENAI_API_KEY: "sk-test-schedules" };

  beforeAll(async () => {
    project = await tempProject();
    expect((await runPluto(["init", "butler"], { cwd: project.dir, env })).code).toBe(0);
    expect((await runPluto(["init", "broken"], { cwd: project.dir, env })).code).toBe(0);
    await appendFile(
      join(project.dir, ".pluto", "agents", "butler", "agent.yaml"),
      [
        "  schedules:",
        "    - name: morning",
        '      cron: "0 8 * * *"',
        "      timezone: Europe/Berlin",
        "      input: Good morning",
        "    - name: poll",
        "      every: 30m",
        "      input: Check",
        "      catch_up: none",
        "    - name: past",
        '      at: "2020-01-01T00:00:00Z"',
        "      input: Too late",
        "",
      ].join("\n"),
    );
  }, 60_000);

  afterAll(async () => {
    await project?.cleanup();
  });

  it("prints each schedule with its next fire times", async () => {
    const before = Date.now();
    const result = await runPluto(["schedules", "list", "--count", "2"], { cwd: project.dir, env });
    const after = Date.now();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => line.split("\t"));
    expect(lines.map((line) => line.slice(0, 4))).toEqual([
      ["butler", "morning", "cron 0 8 * * * Europe/Berlin", "catch_up latest"],
      ["butler", "poll", "every 30m", "catch_up none"],
      ["butler", "past", "at 2020-01-01T00:00:00Z", "catch_up latest"],
    ]);
    const morning = { kind: "cron", cron: "0 8 * * *", timezone: "Europe/Berlin" } as const;
    const poll = { kind: "every", every: "30m", everyMs: 1_800_000 } as const;
    // The command computed them between `before` and `after`: one of the two answers.
    const iso = (times: number[]) => times.map((ms) => new Date(ms).toISOString()).join(",");
    expect([iso(nextFireTimes(morning, before, 2)), iso(nextFireTimes(morning, after, 2))]).toContain(
      lines[0]?.[4],
    );
    expect([iso(nextFireTimes(poll, before, 2)), iso(nextFireTimes(poll, after, 2))]).toContain(
      lines[1]?.[4],
    );
    expect(lines[2]?.[4]).toBe("-");
  }, 30_000);

  it("reports an invalid agent on stderr and exits 1; a bad --count is refused", async () => {
    await writeFile(
      join(project.dir, ".pluto", "agents", "broken", "agent.yaml"),
      'apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: broken\nspec:\n  model: openai/gpt-5-mini\n  schedules:\n    - name: x\n      cron: "0 0 30 2 *"\n      input: x\n',
    );
    const result = await runPluto(["schedules", "list"], { cwd: project.dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Agent broken is invalid");
    expect(result.stdout).toContain("butler\tmorning");
    const validate = await runPluto(["validate", join(".pluto", "agents", "broken")], {
      cwd: project.dir,
      env,
    });
    expect(validate.code).not.toBe(0);
    expect(`${validate.stdout}${validate.stderr}`).toContain("never fires");
    const bad = await runPluto(["schedules", "list", "--count", "0"], { cwd: project.dir, env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--count must be a whole number from 1 to 20");
  }, 30_000);
});
