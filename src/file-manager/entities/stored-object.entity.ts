import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './columns.js';

/**
 * One row per distinct content that is stored. The row is the content's lock: every decision about whether the
 * object is still needed is taken while holding it `FOR UPDATE` (see HashCleanupService).
 */
@Entity({ name: 'stored_objects' })
export class StoredObject {
  @PrimaryColumn({ type: 'char', length: 64 })
  hash: string;

  /** Unique to this stored incarnation (`objects/<hash>/<uuid>`): a late delete of an older one can't hit it. */
  @Column({ name: 'object_key', type: 'varchar', length: 512 })
  objectKey: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  size: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt: Date | null;
}
