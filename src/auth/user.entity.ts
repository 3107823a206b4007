import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const USER_ROLES = ['admin', 'member'] as const;
export type UserRole = (typeof USER_ROLES)[number];

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** As entered (NFKC, trimmed, case kept); shown in views. */
  @Column({ type: 'varchar', length: 320 })
  email: string;

  /** The identity: see `emailKeyOf` (unique). */
  @Column({ name: 'email_key', type: 'varchar', length: 320, select: false })
  emailKey: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** A disabled user cannot log in or refresh, and every session was revoked when it was disabled. */
  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ name: 'password_hash', type: 'varchar', length: 255, select: false })
  passwordHash: string;

  @Column({ type: 'enum', enum: USER_ROLES, enumName: 'user_role', default: 'member' })
  role: UserRole;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
