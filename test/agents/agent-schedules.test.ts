import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ScheduleTrigger } from "../../src/agents/agent-schedule.js";
import { loadAgent } from "../../src/agents/load-agent.js";
import {
  fireTimesBetween,
  latestFireTime,
  nextFireTimes,
  parseEvery,
} from "../../src/agents/schedule-times.js";
import { type Diagnostic, formatDiagnostic } from "../../src/core/diagnostic.js";
import { type AgentSandbox, createAgentSandbox, withPrompts } from "./agent-fixture.js";

let sandbox: AgentSandbox;
beforeEach(async () => {
  sandbox = await createAgentSandbox();
});
afterEach(async () => {
  await sandbox.remove();
});

const header =
  "apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: bot\nspec:\n  model: openai/gpt-5-mini\n";
const file = () => path.join(sandbox.root, "bot", "agent.yaml");

async function load(schedules: string) {
  const directory = await sandbox.agent(withPrompts(`${header}  schedules:\n${schedules}`));
  return loadAgent(directory, { providerNames: [] });
}

/** The diagnostics of an agent whose `spec.schedules` is `schedules` (YAML lines indented 4). */
async function problems(schedules: string): Promise<Diagnostic[]> {
  const result = await load(schedules);
  expect(result.agent).toBeUndefined();
  return result.diagnostics;
}

function only(diagnostics: Diagnostic[], text: string): Diagnostic {
  const found = diagnostics.filter((diagnostic) => diagnostic.message.includes(text));
  expect(found, diagnostics.map((d) => formatDiagnostic(d)).join("\n")).toHaveLength(1);
  return found[0] as Diagnostic;
}

describe("spec.schedules: loading", () => {
  it("resolves cron, every and at schedules with their defaults", async () => {
    const result = await load(
      [
        "    - name: morning",
        '      cron: "0 8 * * *"',
        "      timezone: Europe/Berlin",
        "      input: Good morning",
        "      session: daily",
        "      catch_up: none",
        "    - name: poll",
        "      every: 1h30m",
        "      input: Check the inbox",
        "    - name: once",
        '      at: "2027-01-01T08:00:00+01:00"',
        "      input: Happy new year",
        "",
      ].join("\n"),
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.agent?.schedules).toEqual([
      {
        name: "morning",
        trigger: { kind: "cron", cron: "0 8 * * *", timezone: "Europe/Berlin" },
        input: "Good morning",
        sessionId: "daily",
        catchUp: "none",
      },
      {
        name: "poll",
        trigger: { kind: "every", every: "1h30m", everyMs: 5_400_000 },
        input: "Check the inbox",
        catchUp: "latest",
      },
      {
        name: "once",
        trigger: { kind: "at", at: "2027-01-01T08:00:00+01:00" },
        input: "Happy new year",
        catchUp: "latest",
      },
    ]);
  });
});

describe("docs/agent-format.md", () => {
  it("its spec.schedules example loads", async () => {
    const docs = await readFile(path.resolve(import.meta.dirname, "../../docs/agent-format.md"), "utf8");
    const example = /### `spec.schedules`[\s\S]*?```yaml\nspec:\n {2}schedules:\n([\s\S]*?)```/.exec(
      docs,
    )?.[1];
    expect(example).toBeDefined();
    const result = await load(example ?? "");
    expect(result.diagnostics).toEqual([]);
    expect(result.agent?.schedules?.map((schedule) => schedule.name)).toEqual(["morning", "poll", "launch"]);
  });
});

describe("spec.schedules: refused with file, line and fix", () => {
  it("a cron pattern that never fires", async () => {
    const diagnostic = only(
      await problems('    - name: never\n      cron: "0 0 30 2 *"\n      input: x\n'),
      "never fires",
    );
    expect(diagnostic).toMatchObject({ file: file(), line: 9, path: "spec.schedules[0].cron" });
    expect(diagnostic.fix).toContain("a date that exists");
  });

  it("a malformed cron pattern", async () => {
    const diagnostic = only(
      await problems("    - name: bad\n      cron: every morning\n      input: x\n"),
      "not a cron pattern",
    );
    expect(diagnostic).toMatchObject({ file: file(), line: 9, path: "spec.schedules[0].cron" });
    expect(diagnostic.fix).toContain("five fields");
  });

  it("an unknown time zone", async () => {
    const diagnostic = only(
      await problems(
        '    - name: mars\n      cron: "0 8 * * *"\n      timezone: Mars/Olympus\n      input: x\n',
      ),
      "time zone",
    );
    expect(diagnostic).toMatchObject({ file: file(), line: 10, path: "spec.schedules[0].timezone" });
    expect(diagnostic.fix).toContain("Europe/Berlin");
  });

  it("duplicate names", async () => {
    const diagnostic = only(
      await problems(
        "    - name: a\n      every: 1m\n      input: x\n    - name: a\n      every: 2m\n      input: y\n",
      ),
      "repeats the name",
    );
    expect(diagnostic).toMatchObject({ file: file(), line: 11, path: "spec.schedules[1]" });
  });

  it("no trigger, or two", async () => {
    only(await problems("    - name: a\n      input: x\n"), "exactly one of cron, every or at (found none)");
    only(
      await problems('    - name: a\n      every: 1m\n      at: "2027-01-01T00:00:00Z"\n      input: x\n'),
      "found every, at",
    );
  });

  it("bad every and at values, a timezone without cron, a bad session", async () => {
    for (const every of ["0s", "500ms", "30", "1m1h", "367d"]) {
      const diagnostic = only(
        await problems(`    - name: a\n      every: "${every}"\n      input: x\n`),
        "interval",
      );
      expect(diagnostic.path).toBe("spec.schedules[0].every");
    }
    only(await problems('    - name: a\n      at: "2027-01-01 08:00"\n      input: x\n'), "RFC 3339");
    only(
      await problems("    - name: a\n      every: 1m\n      timezone: UTC\n      input: x\n"),
      "only to cron",
    );
    only(
      await problems("    - name: a\n      every: 1m\n      session: ../x\n      input: x\n"),
      "session id",
    );
  });
});

describe("fire times", () => {
  const berlin: ScheduleTrigger = { kind: "cron", cron: "0 8 * * *", timezone: "Europe/Berlin" };
  const everyTwo: ScheduleTrigger = { kind: "every", every: "2s", everyMs: 2000 };

  it("cron in a time zone, across a daylight saving change", () => {
    const after = Date.parse("2027-03-27T12:00:00Z");
    expect(nextFireTimes(berlin, after, 2).map((ms) => new Date(ms).toISOString())).toEqual([
      "2027-03-28T06:00:00.000Z", // 08:00 CEST (UTC+2) after the switch in the night of the 28th
      "2027-03-29T06:00:00.000Z",
    ]);
    expect(latestFireTime(berlin, Date.parse("2027-03-27T07:00:00Z"))).toBe(
      Date.parse("2027-03-27T07:00:00Z"),
    );
    expect(latestFireTime(berlin, Date.parse("2027-03-27T06:59:59Z"))).toBe(
      Date.parse("2027-03-26T07:00:00Z"),
    );
  });

  it("every: multiples of the interval since the epoch, the same for every worker", () => {
    expect(nextFireTimes(everyTwo, 1_000_001, 3)).toEqual([1_002_000, 1_004_000, 1_006_000]);
    expect(nextFireTimes(everyTwo, 1_002_000, 1)).toEqual([1_004_000]);
    expect(fireTimesBetween(everyTwo, 1_000_000, 1_005_999)).toEqual([1_002_000, 1_004_000]);
    expect(latestFireTime(everyTwo, 1_003_999)).toBe(1_002_000);
    expect(parseEvery("1d2h3m4s")).toBe(((26 * 60 + 3) * 60 + 4) * 1000);
    expect(parseEvery("")).toBeUndefined();
  });

  it("at: once, and never again", () => {
    const once: ScheduleTrigger = { kind: "at", at: "2027-01-01T08:00:00+01:00" };
    const at = Date.parse("2027-01-01T07:00:00Z");
    expect(nextFireTimes(once, at - 1, 5)).toEqual([at]);
    expect(nextFireTimes(once, at, 5)).toEqual([]);
    expect(fireTimesBetween(once, at - 10, at + 10)).toEqual([at]);
    expect(latestFireTime(once, at - 1)).toBeUndefined();
  });

  it("cron between two instants", () => {
    const hourly: ScheduleTrigger = { kind: "cron", cron: "0 * * * *", timezone: "UTC" };
    const from = Date.parse("2027-01-01T00:00:00Z");
    expect(fireTimesBetween(hourly, from, from + 3 * 3_600_000)).toEqual([
      from + 3_600_000,
      from + 7_200_000,
      from + 10_800_000,
    ]);
  });
});
