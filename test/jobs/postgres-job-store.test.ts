import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/job.js";
import { PostgresJobStore } from "../../src/jobs/postgres-job-store.js";
import { PostgresPools } from "../../src/services/postgres/postgres-pools.js";
import { describeJobStoreContract, T0 } from "../contracts/job-store.contract.js";
import { createTestSchema, type PostgresTestSchema } from "../services/postgres/postgres-fixture.js";
import { postgresUrlOrSkip } from "../support/services.js";
import { commandArbitrary, runScenario } from "./job-scenario.js";

const url = await postgresUrlOrSkip();

let ready: Promise<PostgresTestSchema> | undefined;
/** This file's migrated schema with empty job tables. */
async function emptySchema(): Promise<PostgresTestSchema> {
  ready ??= createTestSchema(url ?? "", "jobs");
  const fixture = await ready;
  await fixture.pool.query(`DELETE FROM "${fixture.schema}".jobs`);
  await fixture.pool.query(`DELETE FROM "${fixture.schema}".job_pauses`);
  return fixture;
}
const otherPools = new PostgresPools({ max: 10 });
afterAll(async () => {
  await otherPools.close();
  await (await ready)?.dispose();
});

if (url !== undefined) {
  describeJobStoreContract("postgres (two pools)", async () => {
    const { pool, schema } = await emptySchema();
    return {
      store: new PostgresJobStore({ pool, schema }),
      other: new PostgresJobStore({ pool: otherPools.get(url), schema }),
      cleanup: async () => {},
    };
  });
}

describe.skipIf(url === undefined)("PostgresJobStore: racing workers", () => {
  it("gives each of 300 jobs to exactly one of three pools claiming and finishing at once", async () => {
    const { pool, schema } = await emptySchema();
    const extra = new PostgresPools({ max: 10 });
    try {
      const stores = [
        new PostgresJobStore({ pool, schema }),
        new PostgresJobStore({ pool: otherPools.get(url ?? ""), schema }),
        new PostgresJobStore({ pool: extra.get(url ?? ""), schema }),
      ];
      for (let index = 0; index < 300; index++) {
        await stores[0]?.create(
          index % 3 === 0 ? "acme" : "default",
          { agent: "a", input: `job ${index}` },
          { now: T0 + index },
        );
      }
      const finished: Job[] = [];
      const worker = async (store: PostgresJobStore, name: string) => {
        for (;;) {
          const job = await store.claim({ worker: name, leaseMs: 60_000, now: T0 + 1000 });
          if (job === undefined) return;
          finished.push(
            await store.finish(
              job.tenant,
              job.id,
              { status: "completed", output: name },
              { worker: name, now: T0 + 1001 },
            ),
          );
        }
      };
      await Promise.all(
        stores.flatMap((store, index) => [0, 1, 2].map((lane) => worker(store, `w${index}-${lane}`))),
      );
      expect(finished).toHaveLength(300);
      expect(new Set(finished.map((job) => job.id)).size).toBe(300);
      expect(finished.every((job) => job.attempts === 1 && job.status === "completed")).toBe(true);
      expect((await stores[1]?.counts("default"))?.completed).toBe(200);
      expect((await stores[2]?.counts("acme"))?.completed).toBe(100);
    } finally {
      await extra.close();
    }
  });
});

describe.skipIf(url === undefined)("PostgresJobStore under any interleaving (fast-check)", () => {
  it("only allowed transitions, each job ends exactly once, as the pure function says", async () => {
    const { pool, schema } = await emptySchema();
    const store = new PostgresJobStore({ pool, schema });
    await fc.assert(
      fc.asyncProperty(fc.array(commandArbitrary, { minLength: 1, maxLength: 40 }), async (scenario) => {
        await pool.query(`DELETE FROM "${schema}".jobs`);
        await runScenario(store, scenario);
      }),
      { numRuns: 25 },
    );
  });
});
