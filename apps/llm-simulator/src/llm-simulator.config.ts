import { IsIn, IsInt, IsNumber, IsString, Max, Min } from 'class-validator';

/** Settings of the HTTP LLM simulator (apps/llm-simulator): a stand-in for an OpenAI-compatible API. */
export class LlmSimulatorConfig {
  @IsIn(['debug', 'log', 'warn', 'error']) LOG_LEVEL = 'log';
  @IsInt() @Min(0) @Max(65535) PORT = 4010;
  @IsString() HOST = '127.0.0.1';
  @IsInt() SIMULATION_SEED = 42;
  /** When set, requests must carry `Authorization: Bearer <this>`, else 401 like a real provider. */
  @IsString() SIM_LLM_API_KEY = '';
  @IsInt() @Min(0) @Max(600_000) SIM_LLM_LATENCY_MIN_MS = 20;
  @IsInt() @Min(0) @Max(600_000) SIM_LLM_LATENCY_MAX_MS = 120;
  /** Share of requests answered by a 500/502/503. */
  @IsNumber() @Min(0) @Max(1) SIM_LLM_FAILURE_RATE = 0;
  /** Share of requests refused by the "content policy" (400); the same request always or never. */
  @IsNumber() @Min(0) @Max(1) SIM_LLM_REJECT_RATE = 0;
  /** Requests and tokens per window (a minute by default) before answering 429. */
  @IsInt() @Min(1) @Max(100_000_000) SIM_LLM_RPM = 3000;
  @IsInt() @Min(1) @Max(1_000_000_000) SIM_LLM_TPM = 2_000_000;
  /** Length of the window the limits count in; tests shorten it to see several windows in seconds. */
  @IsInt() @Min(100) @Max(3_600_000) SIM_LLM_WINDOW_MS = 60_000;
}
