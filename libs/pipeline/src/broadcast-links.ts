import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';

/**
 * The Redis connections of this process's broadcast transport (the publisher's and the listener's,
 * two each), so readiness can name one that is down: Nest's transport reconnects on its own and
 * says nothing to the health check.
 */
@Injectable()
export class BroadcastLinks {
  private readonly links = new Map<string, () => readonly Redis[]>();

  watch(name: string, connections: () => readonly Redis[]): void {
    this.links.set(name, connections);
  }

  /** The links with a connection that is not ready (or not made yet). */
  down(): string[] {
    return [...this.links].flatMap(([name, connections]) => {
      try {
        return connections().every((connection) => connection.status === 'ready') ? [] : [name];
      } catch {
        // Not connected yet: Nest's unwrap() throws until the first connect.
        return [name];
      }
    });
  }
}
