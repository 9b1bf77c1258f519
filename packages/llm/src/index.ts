export { LLM_ERROR_KINDS, LlmError, isLlmError, type LlmErrorDetails, type LlmErrorKind } from "./llm-error.js";
export {
  JsonSchemaObjectSchema,
  LlmMessageSchema,
  LlmRequestSchema,
  LlmRoleSchema,
  MAX_TOKENS_LIMIT,
  parseLlmRequest,
  type LlmMessage,
  type LlmRequest,
  type LlmRole,
} from "./llm-request.js";
export { Blake3HexSchema, LlmResponseSchema, TokenUsageSchema, type LlmResponse, type TokenUsage } from "./llm-response.js";
export { silentLogger, type CompleteOptions, type LlmAdapter, type LlmLogger } from "./llm-adapter.js";
export { PROMPT_HASH_TAG, promptHash, promptHashPreimage, promptHashWith } from "./prompt-hash.js";
export { compileResponseSchema, parseJsonResponse } from "./response-schema.js";
export {
  StaticAdapter,
  type StaticAdapterCall,
  type StaticAdapterOptions,
  type StaticCallContext,
  type StaticReply,
  type StaticScript,
} from "./static-adapter.js";
export {
  FIXTURE_FORMAT_VERSION,
  FIXTURE_INDEX_FILE,
  FixtureFileSchema,
  FixtureIndexEntrySchema,
  FixtureIndexSchema,
  FixturePromptSchema,
  fixtureFileName,
  type FixtureFile,
  type FixtureIndex,
  type FixtureIndexEntry,
  type FixturePrompt,
} from "./fixture-format.js";
export { REPLAY_ADAPTER_ID, ReplayAdapter, type ReplayAdapterOptions } from "./replay-adapter.js";
export { RecordingAdapter } from "./recording-adapter.js";
export {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  isRetryableStatus,
  parseRetryAfterMs,
  type RetryPolicy,
} from "./retry-policy.js";
export { isLoopbackUrl, runtimeModeForBaseUrl } from "./loopback.js";
export {
  OPENAI_COMPATIBLE_ADAPTER_ID,
  OpenAiCompatibleAdapter,
  openAiCompatibleAdapter,
  type OpenAiCompatibleAdapterOptions,
} from "./openai-compatible-adapter.js";
export { aiSdkAdapter, toLanguageModelPrompt, type AiSdkAdapterOptions } from "./ai-sdk-adapter.js";
