import { FsArtifactStore } from "../../src/services/artifact/fs-artifact-store.js";
import { FsMemoryStore } from "../../src/services/memory/fs-memory-store.js";
import { FsSessionStore } from "../../src/services/session/fs-session-store.js";
import { describeArtifactStoreContract } from "../contracts/artifact-store.contract.js";
import { describeMemoryStoreContract } from "../contracts/memory-store.contract.js";
import { describeSessionStoreContract } from "../contracts/session-store.contract.js";
import { tempDataDir } from "./temp-dir.js";

for (const fsync of ["batch", "always", "never"] as const) {
  describeSessionStoreContract(`filesystem, fsync ${fsync}`, async () => {
    const { dataDir, cleanup } = await tempDataDir("sessions");
    return { store: new FsSessionStore({ dataDir, fsync }), cleanup };
  });
}

describeMemoryStoreContract("filesystem", async () => {
  const { dataDir, cleanup } = await tempDataDir("memory");
  return { store: new FsMemoryStore({ dataDir }), cleanup };
});

describeArtifactStoreContract("filesystem", async () => {
  const { dataDir, cleanup } = await tempDataDir("artifacts");
  return { store: new FsArtifactStore({ dataDir }), cleanup };
});
