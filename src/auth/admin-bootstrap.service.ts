import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appConfig, authConfig } from '../config/configuration.js';
import { UsersService } from './users.service.js';

/**
 * Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD when no user has that email. Idempotent across
 * restarts and across instances booting together (the insert is `ON CONFLICT DO NOTHING`). A generated password
 * is printed once, by the instance whose insert won, and kept in DATA_DIR/initial-admin-password.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly users: UsersService,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const password = this.auth.adminPassword ?? randomBytes(18).toString('base64url');
    const created = await this.users.createIfMissing(this.auth.adminEmail, password, 'admin');
    if (!created) return;
    if (this.auth.adminPassword) {
      this.logger.log(`Created the first admin ${this.auth.adminEmail} (password from ADMIN_PASSWORD)`);
      return;
    }
    const file = join(this.app.dataDir, 'initial-admin-password');
    const saved = await mkdir(this.app.dataDir, { recursive: true })
      .then(() => writeFile(file, `${this.auth.adminEmail}\n${password}\n`, { mode: 0o600 }))
      .then(() => true)
      .catch(() => false);
    this.logger.warn(
      `Created the first admin ${this.auth.adminEmail} with the generated password: ${password}` +
        (saved ? ` (also saved in ${file}; change it or set ADMIN_PASSWORD)` : ''),
    );
  }
}
