import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { publicReason, withDeadline } from '@app/common';
import { REDIS_CLIENT } from '@app/redis';

const CHECK_DEADLINE_MS = 2_000;

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<'postgres' | 'redis', { status: 'up' | 'down'; error?: string }>;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Checks Postgres and Redis; 503 when either is down' })
  @ApiOkResponse({ description: 'Both reachable' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down; the body says which' })
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    const [postgres, redis] = await Promise.all([
      probe(() => this.db.query('SELECT 1')),
      probe(() => this.redis.ping()),
    ]);
    const healthy = postgres.status === 'up' && redis.status === 'up';
    void reply.status(healthy ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: healthy ? 'ok' : 'unavailable', checks: { postgres, redis } };
  }
}

async function probe(check: () => Promise<unknown>): Promise<{ status: 'up' | 'down'; error?: string }> {
  try {
    await withDeadline(check(), CHECK_DEADLINE_MS);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: publicReason(error) };
  }
}
