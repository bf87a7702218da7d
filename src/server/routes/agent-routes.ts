import { Hono } from "hono";
import { assertSafeName } from "../../core/names.js";
import type { AppOptions } from "../app-options.js";
import { identityOf } from "../request-identity.js";

/** `GET /agents` and `GET /agents/{agent}`. */
export function agentRoutes(options: AppOptions): Hono {
  const routes = new Hono();
  // Only names, descriptions and validity: load diagnostics hold server paths (the admin API shows them, relative).
  routes.get("/agents", async (context) => {
    const agents = await options.agents.list(identityOf(context).tenant);
    return context.json({
      agents: agents.map((agent) => {
        const { name, description, valid } = agent;
        const checked = (agent as { checked?: boolean }).checked;
        return checked === undefined ? { name, description, valid } : { name, description, valid, checked };
      }),
    });
  });
  routes.get("/agents/:agent", async (context) => {
    // Validate here too: the name comes from the URL and must never reach a catalog (or a path) unchecked.
    const agent = await options.agents.get(
      assertSafeName("agent", context.req.param("agent")),
      identityOf(context).tenant,
    );
    return context.json({
      name: agent.name,
      description: agent.description,
      labels: agent.labels,
      model: agent.model,
      fallback_models: agent.fallbackModels,
      limits: {
        max_steps: agent.limits.maxSteps,
        max_run_seconds: agent.limits.maxRunSeconds,
        max_tool_result_chars: agent.limits.maxToolResultChars,
        tool_timeout_seconds: agent.limits.toolTimeoutSeconds,
      },
      tools: {
        builtin: agent.tools.builtins,
        mcp: agent.tools.mcpServers.map((server) => ({ name: server.name, transport: server.transport })),
      },
      skills: agent.skills.map((skill) => ({ name: skill.name, description: skill.description })),
    });
  });
  return routes;
}
