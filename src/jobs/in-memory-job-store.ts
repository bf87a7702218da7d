import { LocalJobStore } from "./local-job-store.js";

/**
 * A {@link JobStore} in process memory: the test twin and `services.jobs.backend: memory`. Same contract
 * as the filesystem and PostgreSQL stores; nothing survives the process.
 */
export class InMemoryJobStore extends LocalJobStore {}
