import { REQUEST_WINDOW_MS, RedisRequestWindow } from '@app/simulators';
import { twoReplicaConnections } from '../support/redis';

describe(RedisRequestWindow.name, () => {
  const key = `test:llm-simulator-window:${process.pid}:${Date.now()}`;
  const { first, second } = twoReplicaConnections(key);

  it('counts the hits of every process in one expiring window', async () => {
    const windows = [new RedisRequestWindow(first(), key), new RedisRequestWindow(second(), key)];
    const hits = await Promise.all(Array.from({ length: 6 }, (_, i) => windows[i % 2].hit()));
    expect(hits.map((hit) => hit.count).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const { resetInMs } of hits) {
      expect(resetInMs).toBeGreaterThan(REQUEST_WINDOW_MS - 5_000);
      expect(resetInMs).toBeLessThanOrEqual(REQUEST_WINDOW_MS);
    }
  });
});
