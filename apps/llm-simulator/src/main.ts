import { Logger } from '@nestjs/common';
import { loadConfig } from '@app/config';
import { LlmSimulatorConfig } from './llm-simulator.config';
import { LlmSimulatorServer } from './llm-simulator.server';

async function bootstrap(): Promise<void> {
  const config = loadConfig(LlmSimulatorConfig);
  const logger = new Logger('LlmSimulator');
  const server = new LlmSimulatorServer(config);
  const url = await server.listen();
  logger.log(
    `OpenAI-compatible API at ${url} (${config.SIM_LLM_RPM} requests and ${config.SIM_LLM_TPM} tokens per ${config.SIM_LLM_WINDOW_MS} ms)`,
  );
  // Closes, then ends by the same signal (the handler is gone by then), as the Nest apps do.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void server.close().then(() => process.kill(process.pid, signal)));
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
