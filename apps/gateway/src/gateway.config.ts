import { IsInt, IsString, Max, Min } from 'class-validator';
import type { AppOptions, ListenerOptions } from '@app/config';
import { appOptions, BaseConfig } from '@app/config';

export class GatewayConfig extends BaseConfig {
  @IsInt() @Min(1) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  /** Largest accepted request body; larger ones get 413. */
  @IsInt() @Min(1024) @Max(100 * 1024 * 1024) BODY_LIMIT_BYTES = 1024 * 1024;
}

export interface GatewayOptions extends AppOptions {
  http: ListenerOptions & { bodyLimitBytes: number };
}

export function gatewayOptions(config: GatewayConfig): GatewayOptions {
  return {
    ...appOptions(config),
    http: { port: config.PORT, host: config.HOST, bodyLimitBytes: config.BODY_LIMIT_BYTES },
  };
}
