// A separate OS process working through jobs in a filesystem job store (spawned by fs-job-crash.test.ts).
// Uses the built package (run `npm run build` first): no TypeScript loader is needed.
// argv: <data dir>
// stdout: `created <id>`, `claimed <id>` and `completed <id>`, each after the store acknowledged it.
import { FsJobStore } from "../../dist/jobs/fs-job-store.js";

const [dataDir] = process.argv.slice(2);
const store = new FsJobStore({ dataDir, fsync: "batch" });
for (let index = 0; ; index++) {
  const { job } = await store.create("default", { agent: "a", input: `job ${index}` });
  process.stdout.write(`created ${job.id}\n`);
  // Every third job stays queued, so the store holds jobs in every state when the process dies.
  if (index % 3 === 2) continue;
  const claimed = await store.claim({ worker: "victim", leaseMs: 60_000 });
  if (claimed === undefined) throw new Error("a queued job was not claimed");
  process.stdout.write(`claimed ${claimed.id}\n`);
  if (index % 3 === 1) continue;
  await store.finish("default", claimed.id, { status: "completed", output: "ok" }, { worker: "victim" });
  process.stdout.write(`completed ${claimed.id}\n`);
}
