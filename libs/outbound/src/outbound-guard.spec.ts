import type { LookupAddress } from 'node:dns';
import { AllowedHosts } from './address-policy';
import { OutboundGuard, OutboundRefusedError, type Resolver } from './outbound-guard';

function guard(allowed = '', records: Record<string, LookupAddress[]> = {}): OutboundGuard {
  const resolver: Resolver = async (hostname) => {
    const answer = records[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return new OutboundGuard(AllowedHosts.parse(allowed), resolver);
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });

describe(OutboundGuard.name, () => {
  describe('checkUrl', () => {
    it('accepts http and https URLs of names and public addresses', () => {
      expect(guard().checkUrl('https://api.example.com/items?page=1').hostname).toBe('api.example.com');
      expect(guard().checkUrl('http://93.184.216.34:8080/x').port).toBe('8080');
    });

    it.each([
      ['file:///etc/passwd', /only http and https/],
      ['ftp://example.com/x', /only http and https/],
      ['gopher://example.com', /only http and https/],
      ['not a url', /not a valid URL/],
      ['http://user:secret@example.com/', /credentials/],
      ['http://127.0.0.1:6379/', /loopback address 127\.0\.0\.1/],
      ['http://[::1]/', /loopback address ::1/],
      ['http://169.254.169.254/latest/meta-data/', /metadata address/],
      ['http://10.0.0.8/', /private address/],
      ['http://[::ffff:192.168.0.1]/', /private address/],
    ])('refuses %s', (url, reason) => {
      expect(() => guard().checkUrl(url)).toThrow(OutboundRefusedError);
      expect(() => guard().checkUrl(url)).toThrow(reason);
    });

    it('accepts a refused address the operator listed, as an address or a network', () => {
      expect(guard('127.0.0.1').checkUrl('http://127.0.0.1:9/').hostname).toBe('127.0.0.1');
      expect(guard('10.0.0.0/8').checkUrl('http://10.0.0.8/').hostname).toBe('10.0.0.8');
    });
  });

  describe('resolve', () => {
    it('returns the public addresses of a name', async () => {
      await expect(guard('', { 'api.example.com': [v4('93.184.216.34')] }).resolve('api.example.com')).resolves.toEqual(
        [v4('93.184.216.34')],
      );
    });

    it('refuses a name that resolves to a private address, naming the name and the address', async () => {
      await expect(
        guard('', { 'intranet.example.com': [v4('10.1.1.1')] }).resolve('intranet.example.com'),
      ).rejects.toThrow('refused to connect to private address 10.1.1.1 (intranet.example.com resolves to it)');
    });

    it('refuses a name when any one of its addresses is refused', async () => {
      const records = { 'mixed.example.com': [v4('93.184.216.34'), v4('127.0.0.1')] };
      await expect(guard('', records).resolve('mixed.example.com')).rejects.toBeInstanceOf(OutboundRefusedError);
    });

    it('allows a listed name whatever it resolves to, and a name resolving into a listed network', async () => {
      const records = { 'api.internal': [v4('10.1.1.1')], 'db.internal': [v4('172.16.5.5')] };
      await expect(guard('api.internal', records).resolve('api.internal')).resolves.toEqual([v4('10.1.1.1')]);
      await expect(guard('172.16.0.0/12', records).resolve('db.internal')).resolves.toEqual([v4('172.16.5.5')]);
    });

    it('passes a resolver failure on', async () => {
      await expect(guard().resolve('nowhere.example')).rejects.toThrow('ENOTFOUND');
    });
  });
});
