import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { BlockList, isIP } from 'node:net';
import { ForbiddenException } from '../common/errors/domain.exception.js';
import { metricsConfig } from '../config/configuration.js';

/**
 * Metrics are not secret enough for a token but say a lot about the system: only clients on trusted networks
 * (`METRICS_ALLOWED_IPS`) may read them. The client address is `request.ip`, which honours `TRUST_PROXY`, so
 * behind a proxy the allow-list applies to the real client rather than to the proxy.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  private readonly allowed: BlockList | '*';

  constructor(@Inject(metricsConfig.KEY) config: ConfigType<typeof metricsConfig>) {
    if (config.allowedIps === '*') {
      this.allowed = '*';
    } else {
      this.allowed = new BlockList();
      for (const range of config.allowedIps) this.allowed.addSubnet(range.address, range.prefix, range.family);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.allowed === '*') return true;
    const address = context.switchToHttp().getRequest<Request>().ip ?? '';
    const version = isIP(address);
    // IPv4-mapped IPv6 addresses (::ffff:10.0.0.1, as a dual-stack server sees IPv4 clients) match IPv4 ranges.
    if (version !== 0 && this.allowed.check(address, version === 4 ? 'ipv4' : 'ipv6')) return true;
    throw new ForbiddenException('Metrics are only served to trusted networks');
  }
}
