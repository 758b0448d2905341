import type { ChatRequest } from '@app/contracts';
import { RedisResponseCache } from './redis-response-cache';

describe(RedisResponseCache.name, () => {
  const request: ChatRequest = {
    model: 'gpt-3.5-turbo',
    temperature: 0.7,
    response: 'score',
    messages: [{ role: 'user', content: 'record' }],
  };

  it('derives the same key from equal requests', () => {
    expect(RedisResponseCache.keyFor({ ...request, messages: [{ role: 'user', content: 'record' }] })).toBe(
      RedisResponseCache.keyFor(request),
    );
    expect(RedisResponseCache.keyFor(request)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, Partial<ChatRequest>]>([
    ['model', { model: 'gpt-4' }],
    ['temperature', { temperature: 0.2 }],
    ['response kind', { response: 'text' }],
    ['messages', { messages: [{ role: 'user', content: 'record!' }] }],
    ['message role', { messages: [{ role: 'system', content: 'record' }] }],
  ])('derives another key when the %s differs', (_field, change) => {
    expect(RedisResponseCache.keyFor({ ...request, ...change })).not.toBe(RedisResponseCache.keyFor(request));
  });
});
