// A separate OS process appending single events to one PostgreSQL session, for the multi-process tests.
// Imports the built package (tests run after `npm run build`).
// Usage: node append-worker.mjs <url> <schema> <session> <label> <count>
// Prints "ack <seq> <text>" after each acknowledged append and "done" at the end.
import { isPlutoError } from "../../../dist/core/errors.js";
import { PostgresPools } from "../../../dist/services/postgres/postgres-pools.js";
import { PostgresSessionStore } from "../../../dist/services/postgres/postgres-session-store.js";

const [url, schema, session, label, countText] = process.argv.slice(2);
const count = Number(countText);
const pools = new PostgresPools({ max: 2 });
const store = new PostgresSessionStore({ pool: pools.get(url), schema });
const key = { tenant: "procs", agent: "assistant", session };

for (let n = 0; n < count; n++) {
  const text = `${label}-${n}`;
  const event = { type: "text-delta", runId: label, time: new Date().toISOString(), step: 1, text };
  for (;;) {
    const expectedSeq = (await store.info(key))?.lastSeq ?? 0;
    try {
      const [stored] = await store.append(key, [event], { expectedSeq });
      process.stdout.write(`ack ${stored.seq} ${text}\n`);
      break;
    } catch (error) {
      if (!isPlutoError(error, "SESSION_CONFLICT")) throw error;
    }
  }
}
process.stdout.write("done\n");
await pools.close();
