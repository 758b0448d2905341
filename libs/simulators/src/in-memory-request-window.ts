import type { RequestWindow } from './request-window';
import { REQUEST_WINDOW_MS } from './request-window';

/** A fixed 60 s window local to this process. */
export class InMemoryRequestWindow implements RequestWindow {
  private readonly now: () => number;
  private windowEndsAt = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  hit(): Promise<{ count: number; resetInMs: number }> {
    const now = this.now();
    if (now >= this.windowEndsAt) {
      this.windowEndsAt = now + REQUEST_WINDOW_MS;
      this.count = 0;
    }
    this.count++;
    return Promise.resolve({ count: this.count, resetInMs: this.windowEndsAt - now });
  }
}
