/**
 * Chat messages and tool definitions.
 */

/**
 * Who wrote a message.
 * @public
 */
export type MessageRole = 'system' | 'user' | 'assistant' | 'tool';

/**
 * A tool invocation requested by the model in an assistant message.
 * @public
 */
export interface ToolCall {
  /** Provider-assigned id; the matching `tool` message carries it as `toolCallId`. */
  readonly id: string;
  /** Tool name. */
  readonly name: string;
  /** Arguments as a JSON text, exactly as the model produced it. */
  readonly arguments: string;
}

/**
 * A message on the wire (HTTP-API.md `Message`).
 * @public
 */
export interface WireMessage {
  /** Author. */
  readonly role: MessageRole;
  /** Text content. */
  readonly content: string;
  /** Optional participant name (counted as one extra token by OpenAI encodings). */
  readonly name?: string;
  /** For `tool` messages: the {@link ToolCall.id} this result answers. */
  readonly toolCallId?: string;
}

/**
 * A message inside the runtime: the wire message plus tool calls and compaction hints.
 * @public
 */
export interface Message extends WireMessage {
  /** Tool calls requested by an `assistant` message. */
  readonly toolCalls?: readonly ToolCall[];
  /** A pinned message is never dropped or summarized by compaction. */
  readonly pinned?: boolean;
  /** For the `priority` compaction strategy: lower is dropped first. @defaultValue 0 */
  readonly priority?: number;
}

/**
 * A JSON Schema object describing a tool's parameters.
 * @public
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * A tool as offered to a model.
 * @public
 */
export interface ToolDefinition {
  /** Unique name (`[A-Za-z0-9_-]{1,64}`). */
  readonly name: string;
  /** What the tool does, for the model. */
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: JsonSchema;
}
