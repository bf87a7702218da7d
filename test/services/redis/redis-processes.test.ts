import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionEvent } from "../../../src/core/events.js";
import { RedisSessionStore } from "../../../src/services/redis/redis-session-store.js";
import { redisUrlOrSkip } from "../../support/services.js";
import { connectRedis, deleteKeys, uniquePrefix, waitUntil } from "./redis-test-support.js";

const url = await redisUrlOrSkip();

const WORKER_SCRIPT = resolve(import.meta.dirname, "append-worker.mjs");
const BUILT_STORE = resolve(import.meta.dirname, "../../../dist/services/redis/redis-session-store.js");
const key = { tenant: "acme", agent: "assistant", session: "shared" };

/** A running append-worker.mjs and the appends it acknowledged so far. */
interface Writer {
  name: string;
  child: ChildProcessWithoutNullStreams;
  /** `[first seq, last seq]` of every acknowledged append, in order. */
  acks: [number, number][];
  done: boolean;
  stderr: string;
  exited: Promise<number | null>;
}

function startWriter(prefix: string, name: string, count: number, maxBatch: number): Writer {
  const child = spawn(process.execPath, [
    WORKER_SCRIPT,
    url as string,
    prefix,
    name,
    String(count),
    String(maxBatch),
  ]);
  const writer: Writer = {
    name,
    child,
    acks: [],
    done: false,
    stderr: "",
    exited: new Promise((resolveExit) => child.on("exit", (code) => resolveExit(code))),
  };
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const match = /^ack (\d+) (\d+)$/.exec(line);
      if (match) writer.acks.push([Number(match[1]), Number(match[2])]);
      else if (line.startsWith("done")) writer.done = true;
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    writer.stderr += chunk;
  });
  return writer;
}

/** Asserts that every event a writer got acknowledged is stored at the acknowledged seq, in its order. */
function expectAcknowledgedStored(writer: Writer, events: SessionEvent[]): number {
  let text = 0;
  for (const [first, last] of writer.acks) {
    for (let seq = first; seq <= last; seq++) {
      expect(events[seq - 1]).toMatchObject({ seq, runId: writer.name, text: `${writer.name}-${text}` });
      text++;
    }
  }
  return text;
}

describe.skipIf(url === undefined)("Redis session store across OS processes", () => {
  let redis: Redis;
  let prefix: string;
  let store: RedisSessionStore;
  let writers: Writer[];

  beforeEach(async () => {
    if (!existsSync(BUILT_STORE)) throw new Error(`${BUILT_STORE} is missing: run \`npm run build\` first.`);
    redis = await connectRedis(url as string);
    prefix = uniquePrefix();
    store = new RedisSessionStore({ redis, prefix });
    writers = [];
  });
  afterEach(async () => {
    for (const writer of writers) writer.child.kill("SIGKILL");
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it("two processes appending 200 events each with retry on conflict leave 400 events, gap-free, no duplicates", async () => {
    writers = [startWriter(prefix, "alpha", 200, 1), startWriter(prefix, "beta", 200, 1)];
    const codes = await Promise.all(writers.map((writer) => writer.exited));
    expect(codes, writers.map((writer) => writer.stderr).join("\n")).toEqual([0, 0]);
    const events = await store.read(key);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 400 }, (_, index) => index + 1));
    for (const writer of writers) {
      expect(writer.done).toBe(true);
      expect(expectAcknowledgedStored(writer, events)).toBe(200);
      const texts = events
        .filter((event) => event.runId === writer.name)
        .map((event) => "text" in event && event.text);
      expect(texts).toEqual(Array.from({ length: 200 }, (_, index) => `${writer.name}-${index}`));
    }
    expect((await store.info(key))?.lastSeq).toBe(400);
  });

  it("kill -9 of a writer mid-appends loses no acknowledged event and leaves a readable session", async () => {
    writers = [startWriter(prefix, "victim", 1_000_000, 4), startWriter(prefix, "survivor", 300, 3)];
    const [victim, survivor] = writers as [Writer, Writer];
    await waitUntil(() => victim.acks.length >= 50 && survivor.acks.length >= 20, 20_000);
    victim.child.kill("SIGKILL");
    expect(await victim.exited).toBeNull();
    expect(await survivor.exited, survivor.stderr).toBe(0);
    const events = await store.read(key);
    const lastSeq = (await store.info(key))?.lastSeq ?? 0;
    expect(events.map((event) => event.seq)).toEqual(
      Array.from({ length: lastSeq }, (_, index) => index + 1),
    );
    expect(expectAcknowledgedStored(survivor, events)).toBe(300);
    const acknowledged = expectAcknowledgedStored(victim, events);
    const stored = events.filter((event) => event.runId === "victim").length;
    // The victim's last append may have been applied without its ack reaching us: at most one batch more.
    expect(stored - acknowledged).toBeGreaterThanOrEqual(0);
    expect(stored - acknowledged).toBeLessThanOrEqual(4);
    const texts = events
      .filter((event) => event.runId === "victim")
      .map((event) => "text" in event && event.text);
    expect(texts).toEqual(Array.from({ length: stored }, (_, index) => `victim-${index}`));
    const more = await store.append(key, [events[0] as SessionEvent], { expectedSeq: lastSeq });
    expect(more[0]?.seq).toBe(lastSeq + 1);
  });
});
