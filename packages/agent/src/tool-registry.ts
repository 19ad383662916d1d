/**
 * The tools of a runtime, by name.
 */
import type { TaskId, Tool, ToolDefinition, ToolRegistry } from '@runtime/contracts';
import { invalid, toolError } from './internal/errors.js';
import { assertToolName } from './tool-name.js';

/**
 * Creates a {@link @runtime/contracts#ToolRegistry}.
 *
 * @example
 * ```ts
 * const registry = createToolRegistry([weather, httpGetTool({ allowedHosts: ['api.example.com'] })]);
 * registry.check(asTaskId('research'), ['get_weather']); // throws VALIDATION_FAILED for unknown names
 * ```
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for a malformed or duplicate name.
 * @public
 */
export function createToolRegistry(tools: readonly Tool[] = []): ToolRegistry {
  const byName = new Map<string, Tool>();
  const registry: ToolRegistry = {
    register(tool) {
      assertToolName(tool.name);
      if (byName.has(tool.name)) {
        throw invalid(`Tool ${tool.name} is already registered.`, { tool: tool.name, issues: [{ path: ['name'], message: 'duplicate tool name' }] });
      }
      byName.set(tool.name, tool);
    },
    get(name) {
      const tool = byName.get(name);
      if (tool === undefined) throw toolError('TOOL_NOT_FOUND', name, `No tool named ${JSON.stringify(name)} is registered.`);
      return tool;
    },
    has: (name) => byName.has(name),
    list(): readonly ToolDefinition[] {
      return [...byName.values()]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map(({ name, description, parameters }) => ({ name, description, parameters }));
    },
    check(taskId: TaskId, names) {
      const seen = new Set<string>();
      names.forEach((name, index) => {
        if (!byName.has(name)) {
          throw invalid(`Task ${taskId} names tool ${JSON.stringify(name)}, which is not registered.`, {
            task: taskId,
            tool: name,
            issues: [{ path: ['tasks', taskId, 'tools', index], message: `unknown tool ${name}` }],
          });
        }
        if (seen.has(name)) {
          throw invalid(`Task ${taskId} names tool ${name} twice.`, {
            task: taskId,
            tool: name,
            issues: [{ path: ['tasks', taskId, 'tools', index], message: `duplicate tool ${name}` }],
          });
        }
        seen.add(name);
      });
    },
  };
  for (const tool of tools) registry.register(tool);
  return registry;
}
