import { randomBytes } from "node:crypto";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { S3ArtifactStore } from "../../../src/services/s3/s3-artifact-store.js";
import type { S3ArtifactStoreOptions } from "../../../src/services/s3/s3-artifact-store-options.js";
import type { S3rverFixture } from "../../support/s3rver.js";

/** A store on the fixture's bucket under a fresh random prefix (so every test starts empty). */
export function freshStore(
  server: S3rverFixture,
  options: Partial<S3ArtifactStoreOptions> = {},
): { store: S3ArtifactStore; prefix: string } {
  const prefix = options.prefix ?? `test-${randomBytes(6).toString("hex")}`;
  const store = new S3ArtifactStore({ client: server.client, bucket: server.bucket, ...options, prefix });
  return { store, prefix };
}

/** Every key in `bucket` under `prefix` (follows continuation tokens). */
export async function allKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** Counts the commands `client` sends, by command name (e.g. `UploadPartCommand`), through a real SDK middleware. */
export function countCommands(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "plutoTestCommandCounter" },
  );
  return counts;
}
