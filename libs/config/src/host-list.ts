import { isIP } from 'node:net';

/** One entry of OUTBOUND_ALLOWED_HOSTS: a host name, or an address with its prefix length (a CIDR). */
export type HostListEntry =
  | { kind: 'name'; name: string }
  | { kind: 'network'; address: string; prefix: number; family: 'ipv4' | 'ipv6' };

/**
 * Reads one comma-separated entry of OUTBOUND_ALLOWED_HOSTS (trimmed; a name lower-cased; an address
 * alone is its own /32 or /128; IPv6 may be bracketed), or says why it cannot be one. Undefined for an
 * empty entry. The config's check at start and libs/outbound's AllowedHosts both read entries so.
 */
export function parseHostListEntry(raw: string): HostListEntry | { problem: string } | undefined {
  const entry = raw.trim().toLowerCase();
  if (entry === '') return undefined;
  const [network, prefixText] = entry.split('/');
  const address = network.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(address);
  if (version === 0) {
    return prefixText === undefined
      ? { kind: 'name', name: entry }
      : { problem: 'a prefix length belongs to an IP address, not a host name' };
  }
  const longest = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? longest : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > longest) {
    return { problem: `an IPv${version} prefix length is 0–${longest}` };
  }
  return { kind: 'network', address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
