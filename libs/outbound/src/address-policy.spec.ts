import { AllowedHosts, classifyAddress } from './address-policy';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.10.0.5', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
  ])('classifies %s as %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('throws on something that is not an IP address', () => {
    expect(() => classifyAddress('localhost')).toThrow(TypeError);
  });
});

describe(AllowedHosts.name, () => {
  const allowed = AllowedHosts.parse(' api.internal , 10.20.0.0/16,127.0.0.1, fd00::/8 ,');

  it('matches listed host names case-insensitively', () => {
    expect(allowed.hasName('API.internal')).toBe(true);
    expect(allowed.hasName('other.internal')).toBe(false);
  });

  it('matches addresses inside listed networks and single addresses', () => {
    expect(allowed.hasAddress('10.20.3.4')).toBe(true);
    expect(allowed.hasAddress('10.21.0.1')).toBe(false);
    expect(allowed.hasAddress('127.0.0.1')).toBe(true);
    expect(allowed.hasAddress('127.0.0.2')).toBe(false);
    expect(allowed.hasAddress('::ffff:127.0.0.1')).toBe(true);
    expect(allowed.hasAddress('fd12::1')).toBe(true);
  });

  it('allows nothing when empty', () => {
    const none = AllowedHosts.parse('');
    expect(none.hasName('localhost')).toBe(false);
    expect(none.hasAddress('127.0.0.1')).toBe(false);
  });

  it.each(['10.0.0.0/33', 'host.example/24', '::1/129', '10.0.0.0/x'])('rejects the malformed entry %s', (entry) => {
    expect(() => AllowedHosts.parse(entry)).toThrow(RangeError);
  });
});
