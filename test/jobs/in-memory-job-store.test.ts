import { InMemoryJobStore } from "../../src/jobs/in-memory-job-store.js";
import { describeJobStoreContract } from "../contracts/job-store.contract.js";

describeJobStoreContract("in-memory", async () => ({
  store: new InMemoryJobStore(),
  cleanup: async () => {},
}));
