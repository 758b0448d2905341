import pino from 'pino';
import { loadConfig } from '@app/config';
import { LlmSimulatorConfig } from './llm-simulator.config';
import { LlmSimulatorServer } from './llm-simulator.server';

async function bootstrap(): Promise<void> {
  const config = loadConfig(LlmSimulatorConfig);
  // JSON lines on stdout like the other apps (it is no Nest app, so it uses pino directly).
  const logger = pino({
    base: { app: 'llm-simulator' },
    level: config.LOG_LEVEL === 'log' ? 'info' : config.LOG_LEVEL,
  });
  const server = new LlmSimulatorServer(config);
  const url = await server.listen();
  logger.info(
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
