import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { isIPv6 } from 'node:net';
import { httpConfig } from '../config/configuration.js';
import { TooManyRequestsException } from '../http/rate-limit.js';
import { MetricsService } from '../metrics/metrics.service.js';

const ADDRESS_WINDOW_MS = 60_000;
/** A pair's failures are forgotten after this long without a new one. */
const ACCOUNT_MEMORY_MS = 15 * 60_000;
const MAX_WAIT_MS = 60_000;

export type ThrottleScope = 'address' | 'account';

/**
 * Slows down password guessing without letting anyone lock an account's owner out. Only failed logins count:
 *
 * - per client address and account (the account's e-mail key): the first LOGIN_RATE_LIMIT failures are free, then
 *   each attempt must come a wait after the previous failure (1 s, doubling, at most 60 s). A successful login
 *   clears the pair. An attacker guessing one account therefore slows down only *their* address for that account;
 *   the owner, from any other address, logs in as usual, and even behind the attacker's NAT waits a minute at most.
 * - per client address, all accounts: at most LOGIN_ADDRESS_RATE_LIMIT failures a minute (password spraying: one
 *   address trying many accounts), after which the address waits until the oldest failure leaves the minute.
 *
 * An IPv6 client counts by its /64 (one subscriber's prefix): otherwise one host could take a new address for
 * each guess. Unknown and known e-mails count alike, so the answers tell nothing about which accounts exist. The
 * counters live in memory, per instance (with N instances a client gets up to N times the budget): they slow
 * guessing down, the argon2id hashes are what make it hopeless. Memory is bounded by the address limit and swept
 * every minute.
 */
@Injectable()
export class LoginThrottle implements OnModuleDestroy {
  /** The clock; a spec may replace it to step through the waits without sleeping. */
  now: () => number = Date.now;

  private readonly addressFailures = new Map<string, number[]>();
  private readonly accountFailures = new Map<string, { count: number; lastAt: number }>();
  private readonly sweeper = setInterval(() => this.sweep(), ADDRESS_WINDOW_MS);

  constructor(
    @Inject(httpConfig.KEY) private readonly config: ConfigType<typeof httpConfig>,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.sweeper.unref();
  }

  /** Refuses (429, with the seconds to wait) an attempt that comes too soon; counts nothing. */
  check(address: string, accountKey: string): void {
    const wait = this.waitFor(address, accountKey);
    if (!wait) return;
    this.metrics?.loginThrottled.inc({ scope: wait.scope });
    throw new TooManyRequestsException(Math.max(1, Math.ceil(wait.ms / 1000)));
  }

  /** The milliseconds an attempt must still wait, and which limit holds it; undefined when it may go ahead. */
  waitFor(client: string, accountKey: string): { scope: ThrottleScope; ms: number } | undefined {
    const address = addressKeyOf(client);
    const now = this.now();
    const addressLimit = this.config.loginAddressFailuresPerMinute;
    if (addressLimit > 0) {
      const recent = this.recentAddressFailures(address, now);
      if (recent.length >= addressLimit)
        return { scope: 'address', ms: recent[recent.length - addressLimit] + ADDRESS_WINDOW_MS - now };
    }
    const free = this.config.loginAccountFailuresBeforeSlowdown;
    const pair = this.accountFailures.get(pairKey(address, accountKey));
    if (free > 0 && pair && pair.lastAt > now - ACCOUNT_MEMORY_MS && pair.count >= free) {
      const ms = pair.lastAt + Math.min(MAX_WAIT_MS, 1000 * 2 ** (pair.count - free)) - now;
      if (ms > 0) return { scope: 'account', ms };
    }
    return undefined;
  }

  recordFailure(client: string, accountKey: string): void {
    const address = addressKeyOf(client);
    const now = this.now();
    this.metrics?.loginFailures.inc();
    if (this.config.loginAddressFailuresPerMinute > 0) {
      const recent = this.recentAddressFailures(address, now);
      recent.push(now);
      // Only the newest `limit` failures decide anything: the list stays bounded whatever the attacker does.
      this.addressFailures.set(address, recent.slice(-this.config.loginAddressFailuresPerMinute));
    }
    if (this.config.loginAccountFailuresBeforeSlowdown > 0) {
      const key = pairKey(address, accountKey);
      const pair = this.accountFailures.get(key);
      const count = pair && pair.lastAt > now - ACCOUNT_MEMORY_MS ? pair.count + 1 : 1;
      this.accountFailures.set(key, { count, lastAt: now });
    }
  }

  /** The owner got in from this address: their earlier mistakes no longer slow them down. */
  recordSuccess(client: string, accountKey: string): void {
    this.accountFailures.delete(pairKey(addressKeyOf(client), accountKey));
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private recentAddressFailures(address: string, now: number): number[] {
    return (this.addressFailures.get(address) ?? []).filter((at) => at > now - ADDRESS_WINDOW_MS);
  }

  private sweep(now = this.now()): void {
    for (const [address, times] of this.addressFailures) {
      if (times[times.length - 1] <= now - ADDRESS_WINDOW_MS) this.addressFailures.delete(address);
    }
    for (const [key, pair] of this.accountFailures) {
      if (pair.lastAt <= now - ACCOUNT_MEMORY_MS) this.accountFailures.delete(key);
    }
  }
}

function pairKey(address: string, accountKey: string): string {
  return `${address}\n${accountKey}`;
}

/** What the throttle counts by: an IPv4 address as it is (also when IPv4-mapped), an IPv6 address by its /64. */
export function addressKeyOf(address: string): string {
  const plain = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain);
  if (mapped) return mapped[1];
  if (!isIPv6(plain)) return address;
  const [head, tail] = plain.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::a.b.c.d) stands for two groups; only the first four matter here anyway.
  const rightLength = right.reduce((sum, group) => sum + (group.includes('.') ? 2 : 1), 0);
  const full = [...left, ...Array<string>(8 - left.length - rightLength).fill('0'), ...right];
  return `${full
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
