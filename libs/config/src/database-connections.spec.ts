import { parseConnections } from './database-connections';

describe('parseConnections', () => {
  it('maps each name to its engine and URL', () => {
    const connections = parseConnections(
      JSON.stringify({ warehouse: 'postgresql://u:p@db:5432/w', shop: 'mariadb://root@127.0.0.1:3306/shop' }),
    );
    expect(connections.get('warehouse')).toEqual({ engine: 'postgres', url: 'postgresql://u:p@db:5432/w' });
    expect(connections.get('shop')).toEqual({ engine: 'mysql', url: 'mysql://root@127.0.0.1:3306/shop' });
  });

  it('is empty when unset', () => {
    expect(parseConnections('').size).toBe(0);
  });

  it.each([
    ['not JSON', '{', /JSON object/],
    ['an array', '["a"]', /JSON object/],
    ['a non-string URL', '{"a": 1}', /"a" must be a URL string/],
    ['a non-URL', '{"a": "nowhere"}', /"a" is not a URL/],
    ['another engine', '{"a": "redis://x"}', /"a" must be postgres/],
  ])('rejects %s', (_case, json, reason) => {
    expect(() => parseConnections(json)).toThrow(reason);
  });
});
