import { isIP } from 'node:net';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/** One entry of an address allow-list: a single address or a CIDR range. */
export interface AddressRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** `*` (everyone) or a list of ranges; parsed from `METRICS_ALLOWED_IPS`-style values (`127.0.0.0/8, ::1`). */
export type AddressAllowList = '*' | AddressRange[];

export function parseAddressList(value: string): AddressAllowList {
  const entries = splitList(value);
  if (entries.length === 1 && entries[0] === '*') return '*';
  return entries.map((entry) => {
    const [address, prefixText, ...rest] = entry.split('/');
    const version = isIP(address);
    if (version === 0 || rest.length > 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const maxPrefix = version === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
    if (!/^\d+$/.test(prefixText ?? String(maxPrefix)) || prefix > maxPrefix) {
      throw new Error(`"${entry}" has an invalid prefix length`);
    }
    return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
  });
}

/**
 * Express's `trust proxy` setting: `false` (default: the peer address is the client), `true` (trust every hop —
 * only behind a proxy that overwrites X-Forwarded-For), a hop count, or a list of proxy addresses, ranges or
 * Express's names (`loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxySetting = boolean | number | string[];

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

export function parseTrustProxy(value: string): TrustProxySetting {
  const text = value.trim();
  if (text === 'false' || text === '') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = splitList(text);
  for (const entry of entries) {
    if (!TRUST_PROXY_NAMES.has(entry)) parseAddressList(entry);
  }
  return entries;
}

/** `CORS_ORIGINS`: empty (CORS off), `*` (any origin, without credentials) or a list of exact origins. */
export type CorsOrigins = false | '*' | string[];

export function parseCorsOrigins(value: string): CorsOrigins {
  const entries = splitList(value);
  if (entries.length === 0) return false;
  if (entries.length === 1 && entries[0] === '*') return '*';
  for (const entry of entries) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    // Browsers send the origin as scheme://host[:port], never with a path or a trailing slash.
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry) {
      throw new Error(`"${entry}" is not an origin like https://app.example.com`);
    }
  }
  return entries;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** class-validator decorator: the value must be accepted by `parse`; the message names what is wrong. */
export function ParsesWith(
  parse: (value: string) => unknown,
  validationOptions?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'parsesWith',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            parse(value);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: (args) => {
          try {
            parse(String(args?.value));
          } catch (error) {
            return (error as Error).message;
          }
          return 'invalid value';
        },
      },
    },
    validationOptions,
  );
}
