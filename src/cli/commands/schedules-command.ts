import type { ScheduleTrigger } from "../../agents/agent-schedule.js";
import { nextFireTimes } from "../../agents/schedule-times.js";
import { PlutoError } from "../../core/errors.js";
import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";

/** How a trigger reads in a listing: `cron 0 8 * * * Europe/Berlin`, `every 30m`, `at 2027-…`. */
function describeTrigger(trigger: ScheduleTrigger): string {
  if (trigger.kind === "cron") return `cron ${trigger.cron} ${trigger.timezone}`;
  if (trigger.kind === "every") return `every ${trigger.every}`;
  return `at ${trigger.at}`;
}

/**
 * `pluto schedules list`: one line per schedule of the default tenant's agents (`spec.schedules`):
 * agent, name, trigger, catch_up, then the next `--count` fire times (1-20, default 3) as ISO-8601 UTC,
 * comma-separated ("-" when it never fires again). `--agent` lists one agent's. Invalid agents are
 * reported on stderr and skipped (exit 1 when any was).
 * @throws PlutoError `BAD_REQUEST` for a bad `--count`; `AGENT_NOT_FOUND` for an unknown `--agent`.
 */
export async function schedulesListCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { agent?: string; count?: string },
): Promise<number> {
  const count = Number(options.count ?? "3");
  if (!Number.isInteger(count) || count < 1 || count > 20) {
    throw new PlutoError(
      "BAD_REQUEST",
      `--count must be a whole number from 1 to 20, not ${JSON.stringify(options.count)}.`,
    );
  }
  const runtime = await openRuntime(io, globals);
  try {
    const names =
      options.agent === undefined
        ? (await runtime.agents.list()).map((summary) => summary.name)
        : [options.agent];
    let invalid = 0;
    let listed = 0;
    const now = Date.now();
    for (const name of names) {
      let agent: Awaited<ReturnType<typeof runtime.agents.get>>;
      try {
        agent = await runtime.agents.get(name);
      } catch (error) {
        if (options.agent !== undefined || !(error instanceof PlutoError) || error.code !== "AGENT_INVALID")
          throw error;
        invalid += 1;
        io.stderr.write(`Agent ${name} is invalid; its schedules do not fire (see \`pluto validate\`).\n`);
        continue;
      }
      for (const schedule of agent.schedules ?? []) {
        listed += 1;
        const next = nextFireTimes(schedule.trigger, now, count).map((ms) => new Date(ms).toISOString());
        io.stdout.write(
          `${agent.name}\t${schedule.name}\t${describeTrigger(schedule.trigger)}\tcatch_up ${schedule.catchUp}\t${next.length === 0 ? "-" : next.join(",")}\n`,
        );
      }
    }
    if (listed === 0) io.stderr.write("No schedules. Add spec.schedules to an agent.yaml (docs/jobs.md).\n");
    return invalid === 0 ? 0 : 1;
  } finally {
    await runtime.close();
  }
}
