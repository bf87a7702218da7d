import { PlutoError } from "../../core/errors.js";
import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";
import { untilStopSignal } from "../stop-signal.js";

/**
 * `pluto worker`: runs job workers (`jobs` in pluto.yaml, `--concurrency` overriding
 * `jobs.concurrency`) without the HTTP server, until SIGINT/SIGTERM; then it claims nothing more and
 * exits once the jobs in hand have ended. Prints one line `Pluto worker ID running N jobs at once`.
 * Several workers need a shared job store (`services.jobs.backend: postgres`).
 */
export async function workerCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { concurrency?: string },
): Promise<number> {
  const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)) {
    throw new PlutoError(
      "BAD_REQUEST",
      `--concurrency must be a whole number from 1 to 256, not ${JSON.stringify(options.concurrency)}.`,
    );
  }
  const runtime = await openRuntime(io, globals);
  const workers = runtime.jobWorkers;
  const count = concurrency ?? runtime.config.jobs.concurrency;
  if (count < 1) {
    await runtime.close();
    throw new PlutoError(
      "CONFIG_INVALID",
      "jobs.concurrency is 0, so this worker would run nothing. Set it to 1 or more, or pass --concurrency.",
    );
  }
  workers.start(concurrency === undefined ? {} : { concurrency });
  io.stdout.write(`Pluto worker ${workers.workerId} running ${count} jobs at once\n`);
  await untilStopSignal();
  io.stderr.write("Stopping: waiting for the jobs in hand…\n");
  await runtime.close();
  return 0;
}
