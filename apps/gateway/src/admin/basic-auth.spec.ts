import { basicAuthMatches } from './basic-auth';

describe('basicAuthMatches', () => {
  const credentials = { user: 'ops', password: 'p:ss word' };
  const basic = (login: string): string => `Basic ${Buffer.from(login).toString('base64')}`;

  it('accepts exactly the configured user and password', () => {
    expect(basicAuthMatches(basic('ops:p:ss word'), credentials)).toBe(true);
    expect(basicAuthMatches(basic('ops:p:ss wor'), credentials)).toBe(false);
    expect(basicAuthMatches(basic('Ops:p:ss word'), credentials)).toBe(false);
  });

  it('refuses a missing or non-Basic header', () => {
    expect(basicAuthMatches(undefined, credentials)).toBe(false);
    expect(basicAuthMatches('Bearer abc', credentials)).toBe(false);
    expect(basicAuthMatches('Basic', credentials)).toBe(false);
  });
});
