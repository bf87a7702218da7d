import type { ArtifactServiceConfig } from "../config/pluto-config.js";
import type { ArtifactStore } from "../services/artifact/artifact-store.js";
import { createS3Client } from "../services/s3/create-s3-client.js";
import { S3ArtifactStore } from "../services/s3/s3-artifact-store.js";

/**
 * The S3 artifact store of `services.artifacts: { backend: s3, … }` with its own bounded client;
 * kept in its own module so the AWS SDK loads only when S3 is configured. `close()` destroys the client.
 */
export function createS3ArtifactStore(
  service: Extract<ArtifactServiceConfig, { backend: "s3" }>,
): ArtifactStore {
  const client = createS3Client({
    region: service.region,
    forcePathStyle: service.forcePathStyle,
    ...(service.endpoint === undefined ? {} : { endpoint: service.endpoint }),
    ...(service.accessKeyId !== undefined && service.secretAccessKey !== undefined
      ? { credentials: { accessKeyId: service.accessKeyId, secretAccessKey: service.secretAccessKey } }
      : {}),
  });
  const store = new S3ArtifactStore({ client, bucket: service.bucket, prefix: service.prefix });
  return Object.assign(store, {
    async close() {
      client.destroy();
    },
  });
}
