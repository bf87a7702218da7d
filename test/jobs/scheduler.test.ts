import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TenantAgents } from "../../src/agents/tenant-agents.js";
import { PlutoError } from "../../src/core/errors.js";
import { FsJobStore } from "../../src/jobs/fs-job-store.js";
import { InMemoryJobStore } from "../../src/jobs/in-memory-job-store.js";
import type { JobStore } from "../../src/jobs/job-store.js";
import { Scheduler, scheduleKeyPrefix } from "../../src/jobs/scheduler.js";
import { type AgentSandbox, createAgentSandbox, withPrompts } from "../agents/agent-fixture.js";

let sandbox: AgentSandbox;
let agents: TenantAgents;
let store: JobStore;
let clock: number;
beforeEach(async () => {
  sandbox = await createAgentSandbox();
  agents = new TenantAgents({
    agentsDir: sandbox.root,
    dataDir: path.join(sandbox.root, ".data"),
    providerNames: [],
  });
  store = new InMemoryJobStore();
  // 2027-01-01T10:00:00.500Z: half a second past an even second.
  clock = Date.parse("2027-01-01T10:00:00.500Z");
});
afterEach(async () => {
  await sandbox.remove();
});

const header =
  "apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: bot\nspec:\n  model: openai/gpt-5-mini\n";

/** Writes agent `bot` with these `spec.schedules` lines (indented 4). */
async function writeSchedules(lines: string[]): Promise<void> {
  await sandbox.agent(withPrompts(`${header}  schedules:\n${lines.join("\n")}\n`));
}

function scheduler(): Scheduler {
  return new Scheduler({
    store,
    agents: { list: () => agents.list(), get: (name) => agents.get(name) },
    now: () => clock,
  });
}

/** Fire times (ISO) of the jobs of schedule `name`, ascending, from their idempotency keys. */
async function fireTimes(name: string): Promise<string[]> {
  const prefix = scheduleKeyPrefix("bot", name);
  const { jobs } = await store.list("default", { limit: 200 });
  return jobs
    .map((job) => job.idempotencyKey ?? "")
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length))
    .sort();
}

/** The real in-memory store, refusing creates of schedule `first` while `failing` (as an unreachable server would). */
class FlakyJobStore extends InMemoryJobStore {
  failing = false;

  override create(...args: Parameters<JobStore["create"]>): ReturnType<JobStore["create"]> {
    if (this.failing && args[1].idempotencyKey?.startsWith(scheduleKeyPrefix("bot", "first"))) {
      return Promise.reject(new PlutoError("BACKEND_UNAVAILABLE", "The job store is unreachable."));
    }
    return super.create(...args);
  }
}

describe("Scheduler", () => {
  it("two schedulers on one store: each fire time of `every: 2s` becomes exactly one job, none skipped", async () => {
    await writeSchedules(["    - name: ping", "      every: 2s", "      input: ping"]);
    const first = scheduler();
    const second = scheduler();
    const created: string[] = [];
    for (let step = 0; step < 20; step++) {
      // Both tick every 0.5 s, in either order.
      const order = step % 2 === 0 ? [first, second] : [second, first];
      for (const each of order) created.push(...(await each.tick()).map((fire) => fire.fireTime));
      clock += 500;
    }
    // Ticks from 10:00:00.5 to 10:00:10.0.
    const expected = ["02", "04", "06", "08", "10"].map((second) => `2027-01-01T10:00:${second}.000Z`);
    expect(await fireTimes("ping")).toEqual(expected);
    // Each fire was created by one of them; the other's create found the key.
    expect(created.sort()).toEqual(expected);
    const { jobs } = await store.list("default");
    expect(jobs.every((job) => job.input === "ping" && job.agent === "bot" && job.status === "queued")).toBe(
      true,
    );
  });

  it("a new schedule does not fire for the past", async () => {
    await writeSchedules(["    - name: hourly", '      cron: "0 * * * *"', "      input: x"]);
    expect(await scheduler().tick()).toEqual([]);
  });

  it("catch_up latest: one job for the newest fire missed while no worker ran; none: nothing", async () => {
    await writeSchedules([
      "    - name: latest",
      '      cron: "0 * * * *"',
      "      input: latest",
      "    - name: skip",
      '      cron: "0 * * * *"',
      "      input: skip",
      "      catch_up: none",
    ]);
    // A worker sees both schedules, then runs the 11:00 fire.
    const before = scheduler();
    await before.tick();
    clock = Date.parse("2027-01-01T11:00:01Z");
    await before.tick();
    expect(await fireTimes("latest")).toEqual(["2027-01-01T11:00:00.000Z"]);
    expect(await fireTimes("skip")).toEqual(["2027-01-01T11:00:00.000Z"]);
    // Everything is down from 11:00:02 to 14:30: fires of 12:00, 13:00 and 14:00 are missed.
    clock = Date.parse("2027-01-01T14:30:00Z");
    await before.stop();
    const after = scheduler();
    await after.tick();
    expect(await fireTimes("latest")).toEqual(["2027-01-01T11:00:00.000Z", "2027-01-01T14:00:00.000Z"]);
    expect(await fireTimes("skip")).toEqual(["2027-01-01T11:00:00.000Z"]);
    // And the next fire on time runs for both.
    clock = Date.parse("2027-01-01T15:00:00.200Z");
    await after.tick();
    expect((await fireTimes("latest")).at(-1)).toBe("2027-01-01T15:00:00.000Z");
    expect((await fireTimes("skip")).at(-1)).toBe("2027-01-01T15:00:00.000Z");
  });

  it("catch_up after a restart on the filesystem store: the last fire is read back from the job files", async () => {
    const dataDir = path.join(sandbox.root, ".data");
    store = new FsJobStore({ dataDir });
    await writeSchedules(["    - name: hourly", '      cron: "0 * * * *"', "      input: x"]);
    const before = scheduler();
    await before.tick();
    clock = Date.parse("2027-01-01T11:00:00.900Z");
    await before.tick();
    await before.stop();
    // A new process: a new store object over the same files, a new scheduler.
    store = new FsJobStore({ dataDir });
    clock = Date.parse("2027-01-01T16:05:00Z");
    expect((await scheduler().tick()).map((fire) => fire.fireTime)).toEqual(["2027-01-01T16:00:00.000Z"]);
    expect(await fireTimes("hourly")).toEqual(["2027-01-01T11:00:00.000Z", "2027-01-01T16:00:00.000Z"]);
  });

  it("editing agent.yaml changes the schedules at the next tick, without a new scheduler", async () => {
    await writeSchedules(["    - name: ping", "      every: 2s", "      input: ping"]);
    const running = scheduler();
    for (let step = 0; step < 8; step++) {
      await running.tick();
      clock += 500;
    }
    expect(await fireTimes("ping")).toEqual(["2027-01-01T10:00:02.000Z", "2027-01-01T10:00:04.000Z"]);
    // Now 10:00:04.5: every 5 s instead, plus a one-off at 10:00:07.
    await writeSchedules([
      "    - name: ping",
      "      every: 5s",
      "      input: ping slower",
      "    - name: once",
      '      at: "2027-01-01T10:00:07Z"',
      "      input: once",
    ]);
    for (let step = 0; step < 20; step++) {
      await running.tick();
      clock += 500;
    }
    expect(await fireTimes("ping")).toEqual([
      "2027-01-01T10:00:02.000Z",
      "2027-01-01T10:00:04.000Z",
      "2027-01-01T10:00:05.000Z",
      "2027-01-01T10:00:10.000Z",
    ]);
    expect(await fireTimes("once")).toEqual(["2027-01-01T10:00:07.000Z"]);
    // Removing the schedules stops them.
    await writeFile(path.join(sandbox.root, "bot", "agent.yaml"), header);
    clock += 10_000;
    expect(await running.tick()).toEqual([]);
  });

  it("a store outage for one schedule loses no fire of the agent's other schedules", async () => {
    await writeSchedules([
      "    - name: first",
      "      every: 1s",
      "      input: a",
      "    - name: second",
      "      every: 1s",
      "      input: b",
    ]);
    const flaky = new FlakyJobStore();
    store = flaky;
    const running = scheduler();
    await running.tick(); // 10:00:00.5, first sight of both
    clock += 1000;
    flaky.failing = true;
    await running.tick(); // 10:00:01.5: `first` fails, so the agent's pass stops before `second`
    clock += 1000;
    flaky.failing = false;
    await running.tick(); // 10:00:02.5
    expect(await fireTimes("second")).toEqual(["2027-01-01T10:00:01.000Z", "2027-01-01T10:00:02.000Z"]);
    expect(await fireTimes("first")).toEqual(["2027-01-01T10:00:01.000Z", "2027-01-01T10:00:02.000Z"]);
  });

  it("a fixed session id reaches the job", async () => {
    await writeSchedules(["    - name: daily", "      every: 1s", "      input: hi", "      session: diary"]);
    const running = scheduler();
    await running.tick();
    clock += 1000;
    const [fire] = await running.tick();
    expect((await store.get("default", fire?.jobId ?? ""))?.sessionId).toBe("diary");
  });
});
