import { ProviderError } from '@app/contracts';

const EXCERPT_LENGTH = 200;

/** The score of a 'score' answer: a JSON object whose `score` is a number in [0, 1]. */
export function parseScoreAnswer(content: string): number {
  let answer: unknown;
  try {
    answer = JSON.parse(content);
  } catch (cause) {
    throw unparseable(content, cause);
  }
  const score = typeof answer === 'object' && answer !== null && 'score' in answer ? answer.score : undefined;
  if (typeof score !== 'number' || !(score >= 0 && score <= 1)) throw unparseable(content);
  return score;
}

// Asking again with the same prompt would most likely get the same answer, so this is not retryable.
function unparseable(content: string, cause?: unknown): ProviderError {
  return new ProviderError(`unparseable answer: ${content.slice(0, EXCERPT_LENGTH)}`, { retryable: false, cause });
}
