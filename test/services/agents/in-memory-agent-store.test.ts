import { InMemoryAgentStore } from "../../../src/services/agents/in-memory-agent-store.js";
import { describeAgentStoreContract } from "../../contracts/agent-store.contract.js";

describeAgentStoreContract("in-memory", async () => ({
  store: new InMemoryAgentStore(),
  cleanup: async () => {},
}));
