import { InMemoryRequestWindow } from './in-memory-request-window';

describe(InMemoryRequestWindow.name, () => {
  it('counts hits within a fixed 60 s window and resets after it', async () => {
    let now = 1_000_000;
    const window = new InMemoryRequestWindow({ now: () => now });
    await expect(window.hit()).resolves.toEqual({ count: 1, resetInMs: 60_000 });
    now += 59_000;
    await expect(window.hit()).resolves.toEqual({ count: 2, resetInMs: 1_000 });
    now += 1_000;
    await expect(window.hit()).resolves.toEqual({ count: 1, resetInMs: 60_000 });
  });
});
