import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { SessionEvent } from "../../../src/core/events.js";
import { PostgresSessionStore } from "../../../src/services/postgres/postgres-session-store.js";
import { postgresUrlOrSkip } from "../../support/services.js";
import { createTestSchema, type PostgresTestSchema } from "./postgres-fixture.js";

const url = await postgresUrlOrSkip();
const WORKER = resolve(import.meta.dirname, "append-worker.mjs");
const BUILT = resolve(import.meta.dirname, "../../../dist/services/postgres/postgres-session-store.js");

/** A running worker process and the acknowledgements it printed so far. */
interface Worker {
  child: ChildProcess;
  acks: { seq: number; text: string }[];
  stderr: string;
  exit: Promise<number | null>;
  done: () => boolean;
}

function startWorker(fixture: PostgresTestSchema, session: string, label: string, count: number): Worker {
  const child = spawn(
    process.execPath,
    [WORKER, fixture.url, fixture.schema, session, label, String(count)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const worker: Worker = { child, acks: [], stderr: "", exit: Promise.resolve(null), done: () => false };
  let finished = false;
  let buffer = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      const match = /^ack (\d+) (\S+)$/.exec(line);
      if (match) worker.acks.push({ seq: Number(match[1]), text: match[2] ?? "" });
      else if (line === "done") finished = true;
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    worker.stderr += chunk;
  });
  // "close", not "exit": it comes after the last stdout chunk, so no printed acknowledgement is missed.
  worker.exit = new Promise((resolveExit) => child.on("close", (code) => resolveExit(code)));
  worker.done = () => finished;
  return worker;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  }
}

const textOf = (event: SessionEvent | undefined) => (event?.type === "text-delta" ? event.text : undefined);

describe.skipIf(url === undefined)("PostgresSessionStore across OS processes", () => {
  let fixture: PostgresTestSchema;
  let store: PostgresSessionStore;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` before these tests.`);
    fixture ??= await createTestSchema(url ?? "", "procs");
    store = new PostgresSessionStore({ pool: fixture.pool, schema: fixture.schema });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await fixture?.dispose();
  });

  it("two processes appending 200 events each to one session: 400 events, seq 1..400, none lost or doubled", async () => {
    const session = "two-writers";
    const workers = [startWorker(fixture, session, "A", 200), startWorker(fixture, session, "B", 200)];
    children.push(...workers.map((worker) => worker.child));
    const codes = await Promise.all(workers.map((worker) => worker.exit));
    expect(codes, workers.map((worker) => worker.stderr).join("\n")).toEqual([0, 0]);
    const events = await store.read({ tenant: "procs", agent: "assistant", session });
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 400 }, (_, index) => index + 1));
    const texts = events.map(textOf);
    expect(new Set(texts).size).toBe(400);
    for (const label of ["A", "B"]) {
      const own = texts.filter((text) => text?.startsWith(`${label}-`));
      // Each writer's events are in its own order.
      expect(own).toEqual(Array.from({ length: 200 }, (_, n) => `${label}-${n}`));
    }
    for (const worker of workers) {
      expect(worker.acks).toHaveLength(200);
      for (const ack of worker.acks) expect(textOf(events[ack.seq - 1])).toBe(ack.text);
    }
    expect((await store.info({ tenant: "procs", agent: "assistant", session }))?.lastSeq).toBe(400);
  });

  it("kill -9 of one writer mid-run: every acknowledged event is there, the other writer finishes, the session reads", async () => {
    const session = "killed-writer";
    const victim = startWorker(fixture, session, "K", 1000);
    const survivor = startWorker(fixture, session, "S", 200);
    children.push(victim.child, survivor.child);
    await until(() => victim.acks.length >= 50, 20_000);
    victim.child.kill("SIGKILL");
    expect(await victim.exit).toBeNull();
    expect(await survivor.exit, survivor.stderr).toBe(0);
    expect(victim.done()).toBe(false);

    const key = { tenant: "procs", agent: "assistant", session };
    const events = await store.read(key);
    const lastSeq = (await store.info(key))?.lastSeq ?? 0;
    expect(events.map((event) => event.seq)).toEqual(
      Array.from({ length: lastSeq }, (_, index) => index + 1),
    );
    for (const ack of [...victim.acks, ...survivor.acks]) expect(textOf(events[ack.seq - 1])).toBe(ack.text);
    expect(survivor.acks).toHaveLength(200);
    // The victim may have committed one append it never got to acknowledge, never more.
    const victimEvents = events.filter((event) => textOf(event)?.startsWith("K-"));
    expect(victimEvents.length - victim.acks.length).toBeGreaterThanOrEqual(0);
    expect(victimEvents.length - victim.acks.length).toBeLessThanOrEqual(1);
    expect(new Set(events.map(textOf)).size).toBe(events.length);
    // The session stays writable after the crash.
    await store.append(
      key,
      [{ type: "text-delta", runId: "r", time: new Date().toISOString(), step: 1, text: "after" }],
      {
        expectedSeq: lastSeq,
      },
    );
    expect((await store.read(key, { after: lastSeq }))[0]).toMatchObject({ seq: lastSeq + 1, text: "after" });
  });
});
