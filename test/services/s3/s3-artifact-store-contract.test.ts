import { afterAll } from "vitest";
import { describeArtifactStoreContract } from "../../contracts/artifact-store.contract.js";
import { startS3rver } from "../../support/s3rver.js";
import { allKeys, freshStore } from "./s3-test-support.js";

const server = await startS3rver();
afterAll(() => server.close());

describeArtifactStoreContract("S3 via s3rver", async () => {
  const { store } = freshStore(server);
  return {
    store,
    async cleanup() {
      // Every test writes under its own prefix (sidecars included); nothing may escape it.
      const keys = await allKeys(server.client, server.bucket, "");
      const escaped = keys.filter((key) => !key.startsWith("test-"));
      if (escaped.length > 0) throw new Error(`keys outside the store prefixes: ${escaped.join(", ")}`);
    },
  };
});

describeArtifactStoreContract("S3 via s3rver, every non-empty body through lib-storage Upload", async () => {
  const { store } = freshStore(server, { multipartThresholdBytes: 0, partSizeBytes: 5 * 1024 * 1024 });
  return { store, cleanup: async () => {} };
});
