import { sleep } from './abort.util';
import type { GroupOutcome } from './group-commit';
import { batchPerTurn, GroupCommit } from './group-commit';

/** A commit that records its groups and answers each item doubled, after `ms`. */
function recorder(ms = 5): { groups: number[][]; commit: (items: number[]) => Promise<GroupOutcome<number>[]> } {
  const groups: number[][] = [];
  return {
    groups,
    commit: async (items) => {
      groups.push(items);
      await sleep(ms);
      return items.map((item) => ({ value: item * 2 }));
    },
  };
}

describe(GroupCommit.name, () => {
  it('commits an item alone at once and answers it', async () => {
    const { groups, commit } = recorder();
    const group = new GroupCommit(commit, 10);
    await expect(group.submit(4)).resolves.toBe(8);
    expect(groups).toEqual([[4]]);
  });

  it('puts items submitted during a commit into the next one, in their order', async () => {
    const { groups, commit } = recorder(20);
    const group = new GroupCommit(commit, 100);
    const first = group.submit(1);
    await sleep(5);
    const rest = [2, 3, 4].map((item) => group.submit(item));
    await expect(Promise.all([first, ...rest])).resolves.toEqual([2, 4, 6, 8]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
  });

  it('shares one commit among callers of the same turn of the event loop', async () => {
    const { groups, commit } = recorder();
    const group = new GroupCommit(commit, 100);
    await Promise.all([1, 2, 3].map((item) => group.submit(item)));
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('never puts more than maxGroupSize items in one commit', async () => {
    const { groups, commit } = recorder();
    const group = new GroupCommit(commit, 2);
    await Promise.all([1, 2, 3, 4, 5].map((item) => group.submit(item)));
    expect(groups).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('refuses one item by its own error and answers the others', async () => {
    const refused = new Error('no room for 2');
    const group = new GroupCommit<number, number>(
      async (items) => items.map((item) => (item === 2 ? { error: refused } : { value: item })),
      10,
    );
    const outcomes = await Promise.allSettled([1, 2, 3].map((item) => group.submit(item)));
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: refused },
      { status: 'fulfilled', value: 3 },
    ]);
  });

  it('fails the whole group when the commit throws, and goes on with the next group', async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('database down');
      return items.map((item) => ({ value: item }));
    }, 10);
    const failed = await Promise.allSettled([group.submit(1), group.submit(2)]);
    expect(failed.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    await expect(group.submit(3)).resolves.toBe(3);
  });

  it('fails a group whose commit answers the wrong number of outcomes', async () => {
    const group = new GroupCommit<number, number>(async () => [], 10);
    await expect(group.submit(1)).rejects.toThrow('answered 0 outcomes for 1 items');
  });

  it('runs up to maxConcurrent commits at once and groups what arrives while all are busy', async () => {
    const { groups, commit } = recorder(20);
    let running = 0;
    let mostRunning = 0;
    const group = new GroupCommit<number, number>(
      async (items) => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        try {
          return await commit(items);
        } finally {
          running -= 1;
        }
      },
      100,
      2,
    );
    const first = group.submit(1);
    await sleep(5);
    const second = group.submit(2);
    await sleep(5);
    const rest = [3, 4, 5].map((item) => group.submit(item));
    await expect(Promise.all([first, second, ...rest])).resolves.toEqual([2, 4, 6, 8, 10]);
    expect(groups).toEqual([[1], [2], [3, 4, 5]]);
    expect(mostRunning).toBe(2);
  });

  it('with lingerMs, starts a group that long after its first item, with all that came meanwhile', async () => {
    const { groups, commit } = recorder(1);
    const group = new GroupCommit(commit, 100, 1, 30);
    const first = group.submit(1);
    await sleep(10);
    const second = group.submit(2);
    expect(groups).toEqual([]);
    await expect(Promise.all([first, second])).resolves.toEqual([2, 4]);
    expect(groups).toEqual([[1, 2]]);
  });

  it('flush commits what lingers at once and waits for every commit to end', async () => {
    const { groups, commit } = recorder(5);
    const group = new GroupCommit(commit, 2, 1, 60_000);
    const answers = [1, 2, 3].map((item) => group.submit(item));
    await group.flush();
    expect(groups).toEqual([[1, 2], [3]]);
    await expect(Promise.all(answers)).resolves.toEqual([2, 4, 6]);
  });

  it('refuses a group size or a concurrency that is not a positive integer', () => {
    expect(() => new GroupCommit(async () => [], 0)).toThrow('maxGroupSize must be a positive integer, not 0');
    expect(() => new GroupCommit(async () => [], 10, 1.5)).toThrow('maxConcurrent must be a positive integer, not 1.5');
  });
});

describe(batchPerTurn.name, () => {
  it('sends what one turn of the event loop submits as one call, and each turn at once', async () => {
    const { groups, commit } = recorder(30);
    const batch = batchPerTurn(commit);
    const firstTurn = Promise.all([1, 2, 3].map((item) => batch.submit(item)));
    await new Promise((resolve) => setImmediate(resolve));
    // The first call is still under way: the next turn's does not wait for it.
    const secondTurn = Promise.all([4, 5].map((item) => batch.submit(item)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(groups).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    await expect(firstTurn).resolves.toEqual([2, 4, 6]);
    await expect(secondTurn).resolves.toEqual([8, 10]);
  });
});
