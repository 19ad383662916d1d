/**
 * Real local HTTP servers for agent tests: a fake OpenAI-format model that asks for the tool call
 * its prompt names (`CALL <tool> <json arguments>`) and, once a tool result is in the conversation,
 * answers `FINAL: <the result>`; and a tool server that records every call and answers a forecast.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface WireMessage {
  readonly role: string;
  readonly content?: string | null;
}

export interface ToolServerCall {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeAgentServers {
  /** Base URL of the model (`…/v1`). */
  readonly providerBaseUrl: string;
  /** Origin of the tool server. */
  readonly toolUrl: string;
  /** `host:port` of the tool server. */
  readonly toolHost: string;
  /** Calls the tool server received. */
  readonly toolCalls: ToolServerCall[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startFakeAgentServers(): Promise<FakeAgentServers> {
  const provider = createServer((request, response) => {
    void readBody(request).then((text) => {
      const body = JSON.parse(text) as { messages: WireMessage[] };
      const prompt = body.messages.find((message) => message.role === 'user')?.content ?? '';
      const toolResult = body.messages.findLast((message) => message.role === 'tool');
      const call = /CALL (\S+) (\{.*\})/.exec(prompt);
      const usage = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };
      const message =
        toolResult === undefined && call !== null
          ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: call[1], arguments: call[2] } }] }
          : { role: 'assistant', content: `FINAL: ${toolResult?.content ?? 'no tool'}` };
      const finish = 'tool_calls' in message ? 'tool_calls' : 'stop';
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: 'fake-1', choices: [{ index: 0, message, finish_reason: finish }], usage }));
    });
  });
  const toolCalls: ToolServerCall[] = [];
  const tools = createServer((request, response) => {
    void readBody(request).then((body) => {
      toolCalls.push({ url: request.url ?? '', headers: request.headers, body });
      const city = (JSON.parse(body === '' ? '{}' : body) as { city?: string }).city ?? '?';
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ city, forecast: 'sunny, 21C' }));
    });
  });
  const providerUrl = await listen(provider);
  const toolUrl = await listen(tools);
  return {
    providerBaseUrl: `${providerUrl}/v1`,
    toolUrl,
    toolHost: new URL(toolUrl).host,
    toolCalls,
    close: async () => {
      await close(provider);
      await close(tools);
    },
  };
}

/** The config sections of agent tests: the fake model as provider `fake`, `get_weather` (header from `WEATHER_TOOL_KEY`), `book_table` (requires approval), `http_get` on the tool server. */
export function agentConfigSections(servers: FakeAgentServers): Record<string, unknown> {
  const inputSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
  return {
    providers: { fake: { type: 'openai-compatible', baseUrl: servers.providerBaseUrl, timeoutMs: 5_000 } },
    models: [{ id: 'fake-model', provider: 'fake', providerModel: 'fake-1', role: 'balanced', maxInputTokens: 16_000, maxOutputTokens: 1_000, pricing: { inputPerMTok: 1, outputPerMTok: 2 } }],
    defaultModel: 'fake-model',
    tools: [
      {
        name: 'get_weather',
        description: 'Current weather of a city.',
        inputSchema,
        url: `${servers.toolUrl}/weather`,
        method: 'POST',
        headers: { authorization: { fromEnv: 'WEATHER_TOOL_KEY', prefix: 'Bearer ' } },
      },
      { name: 'book_table', description: 'Books a table (a human approves).', inputSchema, url: `${servers.toolUrl}/book`, method: 'POST', requiresApproval: true },
    ],
    httpGet: { allowHosts: [servers.toolHost] },
  };
}
