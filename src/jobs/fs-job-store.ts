import { readdir, readFile, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { FsyncPolicy } from "../config/pluto-config.js";
import { PlutoError } from "../core/errors.js";
import { isSafeName } from "../core/names.js";
import { DEFAULT_TENANT } from "../core/scope.js";
import { writeFileAtomic } from "../services/fs/atomic-write.js";
import { fsyncDirectory } from "../services/fs/durable-directory.js";
import type { Job } from "./job.js";
import { isJobId } from "./job-input.js";
import { type JobPersistence, LocalJobStore } from "./local-job-store.js";

/** Options of {@link FsJobStore}. */
export interface FsJobStoreOptions {
  /**
   * The state directory: jobs live in `<dataDir>/jobs/<id>.json` for the default tenant and
   * `<dataDir>/tenants/<tenant>/jobs/<id>.json` for the others; a tenant's pause flag is the file
   * `paused` in the same folder.
   */
  dataDir: string;
  /**
   * `always` and `batch` flush each job file and its folder before a change is visible; `never` skips
   * the flushes (tests and benchmarks). Writes are atomic either way.
   * @default "batch"
   */
  fsync?: FsyncPolicy;
}

const SUFFIX = ".json";
const PAUSED = "paused";

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Names in `folder`, or none when it does not exist. */
async function namesIn(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/**
 * The filesystem {@link JobStore} of simple mode: one pretty-printed JSON file per job, replaced
 * atomically (temporary file, flush, rename, flush the folder) on every transition, so after a crash
 * or power loss each file holds a complete earlier or later state, never a torn one. The store reads
 * every job file once, at its first call, and then serves from memory under one in-process lock:
 * claims are serialised and each change is on disk before anyone sees it. Files are
 * single-process: run one `pluto serve` or `pluto worker` per data directory (several workers need
 * the PostgreSQL backend).
 */
export class FsJobStore extends LocalJobStore {
  constructor(options: FsJobStoreOptions) {
    super(new FsJobPersistence(resolve(options.dataDir), (options.fsync ?? "batch") !== "never"));
  }
}

class FsJobPersistence implements JobPersistence {
  readonly #dataDir: string;
  readonly #fsync: boolean;

  constructor(dataDir: string, fsync: boolean) {
    this.#dataDir = dataDir;
    this.#fsync = fsync;
  }

  /** The jobs folder of a (validated) tenant. */
  #folder(tenant: string): string {
    return tenant === DEFAULT_TENANT
      ? join(this.#dataDir, "jobs")
      : join(this.#dataDir, "tenants", tenant, "jobs");
  }

  async load(): Promise<{ jobs: Job[]; pausedTenants: string[] }> {
    const tenants = [
      DEFAULT_TENANT,
      ...(await namesIn(join(this.#dataDir, "tenants"))).filter(
        (name) => isSafeName(name) && name !== DEFAULT_TENANT,
      ),
    ];
    const jobs: Job[] = [];
    const pausedTenants: string[] = [];
    for (const tenant of tenants) {
      const folder = this.#folder(tenant);
      const names = await namesIn(folder);
      if (names.includes(PAUSED)) pausedTenants.push(tenant);
      const ids = names
        .filter((name) => name.endsWith(SUFFIX))
        .map((name) => name.slice(0, -SUFFIX.length))
        .filter(isJobId);
      for (const id of ids) jobs.push(await readJob(join(folder, `${id}${SUFFIX}`), tenant, id));
    }
    return { jobs, pausedTenants };
  }

  async saveJob(job: Job): Promise<void> {
    const path = join(this.#folder(job.tenant), `${job.id}${SUFFIX}`);
    await writeFileAtomic(path, `${JSON.stringify(job, null, 2)}\n`, { fsync: this.#fsync });
  }

  async savePaused(tenant: string, paused: boolean): Promise<void> {
    const folder = this.#folder(tenant);
    const path = join(folder, PAUSED);
    if (paused) {
      await writeFileAtomic(path, "paused: no job of this tenant is claimed until `pluto resume`\n", {
        fsync: this.#fsync,
      });
      return;
    }
    try {
      await unlink(path);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    if (this.#fsync) await fsyncDirectory(folder);
  }
}

/** Reads one job file. @throws PlutoError `SESSION_CORRUPT` naming the file and how to recover. */
async function readJob(path: string, tenant: string, id: string): Promise<Job> {
  const text = await readFile(path, "utf8");
  let job: Job;
  try {
    job = JSON.parse(text) as Job;
  } catch (error) {
    throw corrupt(path, "is not valid JSON", error);
  }
  if (
    typeof job !== "object" ||
    job === null ||
    job.id !== id ||
    job.tenant !== tenant ||
    typeof job.status !== "string" ||
    typeof job.runAt !== "string" ||
    typeof job.createdAt !== "string"
  ) {
    throw corrupt(path, `is not a job record with id "${id}" of tenant "${tenant}"`);
  }
  return job;
}

function corrupt(path: string, problem: string, cause?: unknown): PlutoError {
  return new PlutoError(
    "SESSION_CORRUPT",
    `Job file ${path} ${problem}. Restore it from a backup or delete it to drop the job.`,
    { details: { path }, cause },
  );
}
