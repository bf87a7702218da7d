import { readdir, readFile, unlink } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import type { FsyncPolicy } from "../../config/pluto-config.js";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName, isSafeName } from "../../core/names.js";
import { DEFAULT_TENANT } from "../../core/scope.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { fsyncDirectory } from "../fs/durable-directory.js";
import { KeyedLock } from "../fs/keyed-lock.js";
import {
  checkTaskId,
  checkTaskListOptions,
  checkTaskProtocol,
  checkTaskPut,
  compareTasksByAge,
  nextTaskRecord,
  taskConflict,
} from "./task-input.js";
import type { TaskInput, TaskPage, TaskProtocol, TaskRecord, TaskStore } from "./task-store.js";

/** Options of {@link FsTaskStore}. */
export interface FsTaskStoreOptions {
  /**
   * The state directory; tasks live in `<dataDir>/tasks/<protocol>/<id>.json` for the default tenant
   * and `<dataDir>/tenants/<tenant>/tasks/<protocol>/<id>.json` for the others.
   */
  dataDir: string;
  /**
   * `always` and `batch` flush each task file and its directory before `put` resolves; `never` skips
   * the flushes (tests and benchmarks). Writes are atomic either way.
   * @default "batch"
   */
  fsync?: FsyncPolicy;
}

const SUFFIX = ".json";

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * The filesystem {@link TaskStore}: one pretty-printed JSON file per task (the {@link TaskRecord}),
 * replaced atomically on every write. The version check and the write run under an in-process lock
 * per file, so one process per data directory (like the other filesystem stores). `list` reads the
 * folder and sorts by `createdAt`, which is fine for the task counts of simple mode.
 */
export class FsTaskStore implements TaskStore {
  readonly #dataDir: string;
  readonly #fsync: boolean;
  readonly #lock = new KeyedLock();

  constructor(options: FsTaskStoreOptions) {
    this.#dataDir = resolve(options.dataDir);
    this.#fsync = (options.fsync ?? "batch") !== "never";
  }

  /** The folder of one tenant's tasks of one protocol. @throws PlutoError `INVALID_NAME`, `BAD_REQUEST`. */
  #folder(tenant: string, protocol: TaskProtocol): string {
    const checkedTenant = assertSafeName("tenant", tenant);
    const checkedProtocol = checkTaskProtocol(protocol);
    return checkedTenant === DEFAULT_TENANT
      ? join(this.#dataDir, "tasks", checkedProtocol)
      : join(this.#dataDir, "tenants", checkedTenant, "tasks", checkedProtocol);
  }

  /** A task file's path as clients may see it: relative to the data directory, `/`-separated. */
  #shown(path: string): string {
    return relative(this.#dataDir, path).split(sep).join("/");
  }

  /** Reads one task file, or `undefined` when absent. @throws PlutoError `SESSION_CORRUPT` for an unreadable file. */
  async #read(path: string, id: string): Promise<TaskRecord | undefined> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    let record: TaskRecord;
    try {
      record = JSON.parse(text) as TaskRecord;
    } catch (error) {
      throw corrupt(this.#shown(path), id, "is not valid JSON", error);
    }
    if (
      typeof record !== "object" ||
      record === null ||
      record.id !== id ||
      typeof record.version !== "number" ||
      typeof record.createdAt !== "string" ||
      typeof record.data !== "object" ||
      record.data === null
    ) {
      throw corrupt(this.#shown(path), id, `is not a task record with id "${id}"`);
    }
    return record;
  }

  /** See {@link TaskStore.put}. */
  async put(tenant: string, task: TaskInput, options: { expectedVersion: number }): Promise<TaskRecord> {
    const checked = checkTaskPut(tenant, task, options);
    const path = join(this.#folder(checked.tenant, checked.task.protocol), `${checked.task.id}${SUFFIX}`);
    return this.#lock.run(path, async () => {
      const actualVersion = (await this.#read(path, checked.task.id))?.version ?? 0;
      if (checked.expectedVersion !== actualVersion) {
        throw taskConflict(checked.task, checked.expectedVersion, actualVersion);
      }
      const record = nextTaskRecord(checked.task, actualVersion + 1);
      await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, { fsync: this.#fsync });
      return record;
    });
  }

  /** See {@link TaskStore.get}. @throws PlutoError `SESSION_CORRUPT` when the file is not a task record. */
  async get(tenant: string, protocol: TaskProtocol, id: string): Promise<TaskRecord | undefined> {
    const folder = this.#folder(tenant, protocol);
    const checkedId = checkTaskId(id);
    return this.#read(join(folder, `${checkedId}${SUFFIX}`), checkedId);
  }

  /**
   * See {@link TaskStore.list}. Oldest `createdAt` first, ties by id. Files whose names are not
   * `<safe id>.json` (temporary files start with '.') are ignored.
   * @throws PlutoError `SESSION_CORRUPT` when a task file cannot be read as a task record.
   */
  async list(
    tenant: string,
    protocol: TaskProtocol,
    options?: { agent?: string; offset?: number; limit?: number },
  ): Promise<TaskPage> {
    const folder = this.#folder(tenant, protocol);
    const { agent, offset, limit } = checkTaskListOptions(options);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (isMissing(error)) return { tasks: [], total: 0 };
      throw error;
    }
    const ids = names
      .filter((name) => name.endsWith(SUFFIX))
      .map((name) => name.slice(0, -SUFFIX.length))
      .filter(isSafeName);
    const records = await Promise.all(ids.map((id) => this.#read(join(folder, `${id}${SUFFIX}`), id)));
    const matching = records.filter(
      (record): record is TaskRecord =>
        record !== undefined && (agent === undefined || record.agent === agent),
    );
    matching.sort(compareTasksByAge);
    return { tasks: matching.slice(offset, offset + limit), total: matching.length };
  }

  /** See {@link TaskStore.delete}. */
  async delete(tenant: string, protocol: TaskProtocol, id: string): Promise<void> {
    const folder = this.#folder(tenant, protocol);
    const path = join(folder, `${checkTaskId(id)}${SUFFIX}`);
    await this.#lock.run(path, async () => {
      try {
        await unlink(path);
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      if (this.#fsync) await fsyncDirectory(folder);
    });
  }
}

/**
 * The error for a task file that cannot be read back; names the task and its file relative to the
 * data directory (never the server's absolute path: the message reaches HTTP clients) and how to recover.
 */
function corrupt(file: string, task: string, problem: string, cause?: unknown): PlutoError {
  return new PlutoError(
    "SESSION_CORRUPT",
    `Task "${task}" cannot be read: its file ${file} under the data directory ${problem}. Restore it from a backup or delete it to drop the task.`,
    { details: { task, file }, cause },
  );
}
