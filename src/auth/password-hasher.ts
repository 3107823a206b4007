import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';

/**
 * Password hashing (argon2id, OWASP's recommended parameters by default) behind a port, so unit tests can swap it
 * for a fake. `@node-rs/argon2` ships prebuilt binaries as platform packages: no install script, no compiler.
 */
@Injectable()
export class PasswordHasher {
  hash(password: string): Promise<string> {
    return hash(password);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }
}
