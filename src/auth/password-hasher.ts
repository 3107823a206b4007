import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

/** Password hashing behind a port, so unit tests can swap the (deliberately slow) argon2id for a fake. */
@Injectable()
export class PasswordHasher {
  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }
}
