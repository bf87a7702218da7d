// A separate OS process appending to one Redis session (spawned by redis-processes.test.ts).
// Uses the built package (run `npm run build` first): no TypeScript loader is needed.
// argv: <redis url> <prefix> <writer name> <event count> <max batch size>
// stdout: one line `ack <first seq> <last seq>` per acknowledged append, then `done`.
import { createRedisClient, waitForRedis } from "../../../dist/services/redis/redis-client.js";
import { RedisSessionStore } from "../../../dist/services/redis/redis-session-store.js";

const [url, prefix, writer, countText, batchText] = process.argv.slice(2);
const count = Number(countText);
const maxBatch = Number(batchText ?? "1");
const key = { tenant: "acme", agent: "assistant", session: "shared" };

const redis = createRedisClient({ url, connectionName: `pluto-test-${writer}` });
await waitForRedis(redis);
const store = new RedisSessionStore({ redis, prefix });

let expectedSeq = (await store.info(key))?.lastSeq ?? 0;
let conflicts = 0;
for (let next = 0; next < count; ) {
  const size = Math.min(count - next, 1 + (next % maxBatch));
  const events = Array.from({ length: size }, (_, index) => ({
    type: "text-delta",
    runId: writer,
    time: new Date().toISOString(),
    step: 1,
    text: `${writer}-${next + index}`,
  }));
  try {
    const stored = await store.append(key, events, { expectedSeq });
    const first = stored[0].seq;
    const last = stored.at(-1).seq;
    process.stdout.write(`ack ${first} ${last}\n`);
    expectedSeq = last;
    next += size;
  } catch (error) {
    if (error?.code !== "SESSION_CONFLICT") throw error;
    conflicts++;
    expectedSeq = error.details.actualSeq;
  }
}
process.stdout.write(`done conflicts=${conflicts}\n`);
await redis.quit();
