import { InMemoryArtifactStore } from "../../src/services/artifact/in-memory-artifact-store.js";
import { InMemoryMemoryStore } from "../../src/services/memory/in-memory-memory-store.js";
import { InMemorySessionStore } from "../../src/services/session/in-memory-session-store.js";
import { describeArtifactStoreContract } from "../contracts/artifact-store.contract.js";
import { describeMemoryStoreContract } from "../contracts/memory-store.contract.js";
import { describeSessionStoreContract } from "../contracts/session-store.contract.js";

const noCleanup = async () => {};

describeSessionStoreContract("in-memory", async () => ({
  store: new InMemorySessionStore(),
  cleanup: noCleanup,
}));
describeMemoryStoreContract("in-memory", async () => ({
  store: new InMemoryMemoryStore(),
  cleanup: noCleanup,
}));
describeArtifactStoreContract("in-memory", async () => ({
  store: new InMemoryArtifactStore(),
  cleanup: noCleanup,
}));
