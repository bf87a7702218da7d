import { InMemoryTaskStore } from "../../../src/services/task/in-memory-task-store.js";
import { describeTaskStoreContract } from "../../contracts/task-store.contract.js";

describeTaskStoreContract("in-memory", async () => ({
  store: new InMemoryTaskStore(),
  cleanup: async () => {},
}));
