import { ActiveTaskLedger } from './active-task-ledger';

/** A ledger over a settable count and clock; `counts` says how often it counted. */
function setup(active = 0) {
  const state = { active, now: 0, counts: 0 };
  const ledger = new ActiveTaskLedger(
    async () => {
      state.counts += 1;
      return state.active;
    },
    1_000,
    () => state.now,
  );
  return { state, ledger };
}

const some = { partial: true };
const all = { partial: false };

describe(ActiveTaskLedger.name, () => {
  it('counts once, then admits on that count plus what it admitted since', async () => {
    const { state, ledger } = setup(5);
    const first = await ledger.reserve(3, 10, some);
    first.settle(true);
    state.now = 999;
    const second = await ledger.reserve(2, 10, some);
    expect([first.fit, first.active]).toEqual([3, 5]);
    expect([second.fit, second.active]).toEqual([2, 8]);
    expect(state.counts).toBe(1);
  });

  it('counts again once the count is older than maxAgeMs', async () => {
    const { state, ledger } = setup(5);
    (await ledger.reserve(1, 10, some)).settle(true);
    state.active = 2;
    state.now = 1_001;
    await expect(ledger.reserve(1, 10, some)).resolves.toMatchObject({ active: 2 });
    expect(state.counts).toBe(2);
  });

  it('decides a refusal on a fresh count: tasks that ended since make room', async () => {
    const { state, ledger } = setup(9);
    (await ledger.reserve(1, 10, some)).settle(true);
    state.active = 4;
    state.now = 10;
    await expect(ledger.reserve(2, 10, some)).resolves.toMatchObject({ fit: 2, active: 4 });
    expect(state.counts).toBe(2);
  });

  it('counts admissions that are not settled yet, so concurrent ones cannot both take the last room', async () => {
    const { ledger } = setup(8);
    const [first, second] = await Promise.all([ledger.reserve(2, 10, some), ledger.reserve(2, 10, some)]);
    expect([first.fit, second.fit]).toEqual([2, 0]);
  });

  it('gives back the room of a reservation whose tasks were not stored, once', async () => {
    const { ledger } = setup(8);
    const failed = await ledger.reserve(2, 10, some);
    failed.settle(false);
    failed.settle(false);
    await expect(ledger.reserve(2, 10, some)).resolves.toMatchObject({ fit: 2, active: 8 });
  });

  it('admits all or none unless partial', async () => {
    const { ledger } = setup(8);
    await expect(ledger.reserve(3, 10, all)).resolves.toMatchObject({ fit: 0, active: 8 });
    await expect(ledger.reserve(3, 10, some)).resolves.toMatchObject({ fit: 2, active: 8 });
  });

  it('keeps tasks stored while a count runs until the next count, rather than miss them', async () => {
    const now = { ms: 0 };
    const answers: ((count: number) => void)[] = [];
    const ledger = new ActiveTaskLedger(
      () => new Promise<number>((resolve) => answers.push(resolve)),
      1_000,
      () => now.ms,
    );
    const admitting = ledger.reserve(1, 10, some);
    answers[0](0);
    const admitted = await admitting;
    now.ms = 1_001;
    const next = ledger.reserve(0, 10, some);
    admitted.settle(true); // stored while the second count runs, which does not see it
    answers[1](0);
    await expect(next).resolves.toMatchObject({ active: 1 });
  });

  it('shares one count among the admissions that need it at the same time', async () => {
    const { state, ledger } = setup(1);
    await Promise.all([ledger.reserve(1, 10, some), ledger.reserve(1, 10, some), ledger.reserve(1, 10, some)]);
    expect(state.counts).toBe(1);
  });
});
