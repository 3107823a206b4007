import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import { isUniqueViolation } from '../common/errors/database-errors.js';
import { NotFoundException } from '../common/errors/domain.exception.js';
import { offsetOf, toPage, type Page, type PaginationQueryDto } from '../common/pagination.js';
import { inTransaction } from '../database/transactions.js';
import { EmailTakenException, LastAdminException } from './auth.errors.js';
import type { UserResponse } from './dto/user.response.js';
import { defaultNameOf, displayEmailOf, emailKeyOf } from './emails.js';
import { PasswordHasher } from './password-hasher.js';
import { SessionsService } from './sessions.service.js';
import { User, type UserRole } from './user.entity.js';

/** What the API shows of a user: the OpenAPI document's `UserResponse`. */
export type UserView = UserResponse;

export function toUserView(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
  };
}

const USER_COLUMNS = `id, email, name, role, disabled, created_at AS "createdAt", updated_at AS "updatedAt"`;

export interface UserChanges {
  role?: UserRole;
  disabled?: boolean;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
  ) {}

  async create(email: string, password: string, role: UserRole, name?: string): Promise<User> {
    const passwordHash = await this.hasher.hash(password);
    try {
      // One statement, no transaction: the unique index on email_key decides between concurrent sign-ups.
      const [row] = await this.users.query<User[]>(
        `INSERT INTO users (email, email_key, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${USER_COLUMNS}`,
        [
          displayEmailOf(email),
          emailKeyOf(email),
          name?.trim() || defaultNameOf(displayEmailOf(email)),
          passwordHash,
          role,
        ],
      );
      return Object.assign(new User(), row);
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key_key')) throw new EmailTakenException();
      throw error;
    }
  }

  /**
   * Creates the user unless one with this email exists; answers whether this call created it. Safe when several
   * instances boot at once: `ON CONFLICT DO NOTHING` lets exactly one insert win without aborting anything.
   */
  async createIfMissing(email: string, password: string, role: UserRole): Promise<boolean> {
    const passwordHash = await this.hasher.hash(password);
    const inserted = await this.users.query<unknown[]>(
      `INSERT INTO users (email, email_key, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (email_key) DO NOTHING RETURNING id`,
      [displayEmailOf(email), emailKeyOf(email), defaultNameOf(displayEmailOf(email)), passwordHash, role],
    );
    return inserted.length === 1;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** The user with this email (normalised: any case, any Unicode form) and its password hash, for login only. */
  findWithPasswordByEmail(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.emailKey = :key', { key: emailKeyOf(email) })
      .getOne();
  }

  findWithPasswordById(id: string): Promise<User | null> {
    return this.users.createQueryBuilder('user').addSelect('user.passwordHash').where('user.id = :id', { id }).getOne();
  }

  /**
   * An admin changes a user's role or disabled flag. Disabling or demoting ends every session of the user in the
   * same transaction (their access tokens stop working on the next request, on every instance). The last active
   * admin can be neither demoted nor disabled (409 LAST_ADMIN), also when two admins demote each other at once:
   * every such change first locks the rows of all active admins, in id order, so they are decided one by one.
   */
  async update(id: string, changes: UserChanges): Promise<User> {
    return inTransaction(this.dataSource, async (runner) => {
      const admins = (await runner.query(
        `SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`,
      )) as Array<{ id: string }>;
      const [current] = (await runner.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [
        id,
      ])) as User[];
      if (!current) throw new NotFoundException('User');
      const role = changes.role ?? current.role;
      const disabled = changes.disabled ?? current.disabled;
      const wasActiveAdmin = current.role === 'admin' && !current.disabled;
      if (wasActiveAdmin && (role !== 'admin' || disabled) && !admins.some((admin) => admin.id !== id)) {
        throw new LastAdminException();
      }
      const [[updated]] = (await runner.query(
        `UPDATE users SET role = $2, disabled = $3, updated_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [id, role, disabled],
      )) as [User[], number];
      if (disabled && !current.disabled) await this.sessions.revokeAllOf(runner, id, 'disabled');
      else if (current.role === 'admin' && role !== 'admin') await this.sessions.revokeAllOf(runner, id, 'demoted');
      return Object.assign(new User(), updated);
    });
  }

  /** Sets a new password hash and ends the user's other sessions (all but `keepSessionId`). */
  async setPassword(id: string, password: string, keepSessionId?: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    await inTransaction(this.dataSource, async (runner) => {
      await runner.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [id, passwordHash]);
      await this.sessions.revokeAllOf(runner, id, 'password-changed', keepSessionId);
    });
  }

  async list(query: PaginationQueryDto): Promise<Page<UserView>> {
    const [users, count] = await this.users.findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: offsetOf(query),
      take: query.pageSize,
    });
    return toPage(users.map(toUserView), count, query);
  }
}
