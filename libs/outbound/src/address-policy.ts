import { BlockList, isIP } from 'node:net';
import { parseHostListEntry } from '@app/config';

/** Why an address is not a public internet address; `public` is the only class fetched by default. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

type Family = 'ipv4' | 'ipv6';

// Checked in this order, so the cloud metadata endpoints (inside link-local or private ranges) are
// named for what they are.
const RANGES: [Exclude<AddressClass, 'public'>, Family, string, number][] = [
  ['metadata', 'ipv4', '169.254.169.254', 32],
  ['metadata', 'ipv4', '169.254.170.2', 32],
  ['metadata', 'ipv4', '100.100.100.200', 32],
  ['metadata', 'ipv6', 'fd00:ec2::254', 128],
  ['unspecified', 'ipv4', '0.0.0.0', 8],
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['private', 'ipv4', '100.64.0.0', 10],
  ['private', 'ipv4', '198.18.0.0', 15],
  ['reserved', 'ipv4', '192.0.0.0', 24],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4],
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['private', 'ipv6', 'fc00::', 7],
  ['link-local', 'ipv6', 'fe80::', 10],
  ['multicast', 'ipv6', 'ff00::', 8],
];

const CLASSIFIERS = RANGES.map(([kind, family, network, prefix]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { kind, family, list };
});

/** IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96): judged by that address. */
function embeddedIpv4(address: string): string | undefined {
  const match = /^(?:::ffff:|64:ff9b::)(?:0:)?([0-9a-f.:]+)$/i.exec(address);
  if (!match) return undefined;
  const tail = match[1];
  if (isIP(tail) === 4) return tail;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(tail);
  if (!hex) return undefined;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** The class of an IP address (v4 or v6, as dns.lookup returns it). Throws on a string that is no IP. */
export function classifyAddress(address: string): AddressClass {
  const version = isIP(address);
  if (version === 0) throw new TypeError(`not an IP address: ${address}`);
  const v4 = version === 6 ? embeddedIpv4(address) : address;
  const [target, family]: [string, Family] = v4 !== undefined ? [v4, 'ipv4'] : [address, 'ipv6'];
  for (const classifier of CLASSIFIERS) {
    if (classifier.family === family && classifier.list.check(target, family)) return classifier.kind;
  }
  return 'public';
}

/**
 * The exceptions an operator grants (OUTBOUND_ALLOWED_HOSTS): host names, IP addresses and CIDRs that
 * may be reached although they are not public, e.g. an internal API or a test server on loopback.
 */
export class AllowedHosts {
  private readonly names = new Set<string>();
  private readonly networks = new BlockList();

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = parseHostListEntry(raw);
      if (entry === undefined) continue;
      if ('problem' in entry) throw new RangeError(`not a CIDR: ${raw}`);
      if (entry.kind === 'name') this.names.add(entry.name);
      else this.networks.addSubnet(entry.address, entry.prefix, entry.family);
    }
  }

  /** Parses the comma-separated form of OUTBOUND_ALLOWED_HOSTS. */
  static parse(list: string): AllowedHosts {
    return new AllowedHosts(list.split(','));
  }

  hasName(hostname: string): boolean {
    return this.names.has(hostname.toLowerCase());
  }

  hasAddress(address: string): boolean {
    const version = isIP(address);
    if (version === 0) return false;
    const v4 = version === 6 ? embeddedIpv4(address) : undefined;
    if (v4 !== undefined && this.networks.check(v4, 'ipv4')) return true;
    return this.networks.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}
