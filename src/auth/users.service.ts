import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { isUniqueViolation } from '../common/errors/database-errors.js';
import { offsetOf, toPage, type Page, type PaginationQueryDto } from '../common/pagination.js';
import { EmailTakenException } from './auth.errors.js';
import type { UserResponse } from './dto/user.response.js';
import { PasswordHasher } from './password-hasher.js';
import { User, type UserRole } from './user.entity.js';

/** What the API shows of a user: the OpenAPI document's `UserResponse`. */
export type UserView = UserResponse;

export function toUserView(user: User): UserView {
  return { id: user.id, email: user.email, role: user.role, createdAt: user.createdAt.toISOString() };
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
  ) {}

  async create(email: string, password: string, role: UserRole): Promise<User> {
    const passwordHash = await this.hasher.hash(password);
    try {
      // One statement, no transaction: the unique index on lower(email) decides between concurrent sign-ups.
      const [row] = (await this.users.query(
        `INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3)
         RETURNING id, email, role, created_at AS "createdAt", updated_at AS "updatedAt"`,
        [email.trim(), passwordHash, role],
      )) as User[];
      return Object.assign(new User(), row);
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_lower_key')) throw new EmailTakenException();
      throw error;
    }
  }

  /**
   * Creates the user unless one with this email exists; answers whether this call created it. Safe when several
   * instances boot at once: `ON CONFLICT DO NOTHING` lets exactly one insert win without aborting anything.
   */
  async createIfMissing(email: string, password: string, role: UserRole): Promise<boolean> {
    const passwordHash = await this.hasher.hash(password);
    const inserted = (await this.users.query(
      `INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3)
       ON CONFLICT ((lower(email))) DO NOTHING RETURNING id`,
      [email.trim(), passwordHash, role],
    )) as unknown[];
    return inserted.length === 1;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** The user with this email (any case) together with its password hash, for login only. */
  findWithPasswordByEmail(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('lower(user.email) = lower(:email)', { email: email.trim() })
      .getOne();
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
