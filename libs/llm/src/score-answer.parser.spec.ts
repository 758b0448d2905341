import { ProviderError } from '@app/contracts';
import { parseScoreAnswer } from './score-answer.parser';

describe('parseScoreAnswer', () => {
  it('returns the score of a well-formed answer', () => {
    expect(parseScoreAnswer('{"score": 0.42, "reason": "fine"}')).toBe(0.42);
    expect(parseScoreAnswer('{"score": 0}')).toBe(0);
    expect(parseScoreAnswer(' {"score": 1} ')).toBe(1);
  });

  it.each([
    ['not JSON', 'the score is 0.4'],
    ['a bare number', '0.4'],
    ['null', 'null'],
    ['an array', '[0.4]'],
    ['no score', '{"reason": "x"}'],
    ['a string score', '{"score": "0.4"}'],
    ['a score above 1', '{"score": 1.2}'],
    ['a negative score', '{"score": -0.1}'],
  ])('rejects %s with a non-retryable ProviderError', (_case, content) => {
    const error = (() => {
      try {
        parseScoreAnswer(content);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/^unparseable answer/) });
  });
});
