import { createHash, timingSafeEqual } from 'node:crypto';

/** Who a request acts for: a key's name, and whether it may see every task. */
export interface Principal {
  /** The key's name; null when the API is open (no keys configured). */
  name: string | null;
  admin: boolean;
}

interface StoredKey {
  name: string;
  digest: Buffer;
}

/** A sha256 hex digest stands for the key itself, so the configuration need not hold the secret. */
const SHA256_HEX = /^[0-9a-f]{64}$/i;
const KEY_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The API keys of the deployment (API_KEYS: comma-separated `name:key` or `name:<sha256 hex of key>`),
 * and which of them see every task (ADMIN_API_KEYS: names). Keys are compared by their digests in
 * constant time; with no keys configured the API is open and every caller is the anonymous admin.
 */
export class ApiKeys {
  private constructor(
    private readonly keys: StoredKey[],
    private readonly admins: ReadonlySet<string>,
  ) {}

  /** Parses the two settings; throws naming the offending entry. */
  static parse(apiKeys: string, adminNames: string): ApiKeys {
    const keys: StoredKey[] = [];
    for (const entry of split(apiKeys)) {
      const colon = entry.indexOf(':');
      const name = entry.slice(0, colon);
      const secret = entry.slice(colon + 1);
      if (colon < 0 || !KEY_NAME.test(name) || secret.length < 8) {
        throw new Error(
          `API_KEYS entry "${colon < 0 ? entry : name}" must be name:key (name of A-Z a-z 0-9 . _ -, key of at least 8 characters)`,
        );
      }
      if (keys.some((key) => key.name === name)) throw new Error(`API_KEYS names "${name}" twice`);
      keys.push({ name, digest: SHA256_HEX.test(secret) ? Buffer.from(secret, 'hex') : sha256(secret) });
    }
    const admins = new Set(split(adminNames));
    for (const name of admins) {
      if (!keys.some((key) => key.name === name))
        throw new Error(`ADMIN_API_KEYS names "${name}", which API_KEYS does not`);
    }
    return new ApiKeys(keys, admins);
  }

  /** Without keys the API is open. */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The principal a presented key stands for, or undefined for an unknown key. */
  identify(presented: string): Principal | undefined {
    const digest = sha256(presented);
    // Every key is compared, so the time taken does not tell which one came close.
    let match: StoredKey | undefined;
    for (const key of this.keys) if (timingSafeEqual(key.digest, digest)) match = key;
    return match && { name: match.name, admin: this.admins.has(match.name) };
  }
}

function split(list: string): string[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
}

/**
 * Whose tasks a caller's lists and statistics cover: its own (the key's name), or everyone's
 * (undefined) for an admin key and when the API is open.
 */
export function ownerScope(principal: Principal): string | undefined {
  return principal.admin || principal.name === null ? undefined : principal.name;
}
