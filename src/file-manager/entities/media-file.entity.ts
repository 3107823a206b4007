import {
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  JoinColumn,
  JoinTable,
  ManyToMany,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { User } from '../../auth/user.entity.js';
import { Collection } from './collection.entity.js';
import { ACCESS_LEVELS, bigintAsNumber, FILE_TYPES, type AccessLevel, type FileType } from './columns.js';
import { Tag } from './tag.entity.js';

/** An approved file in the library. Soft-deleted into the trash through `deletedAt`. */
@Entity({ name: 'media_files' })
export class MediaFile {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Unique across active *and* trashed files: one media file per content. */
  @Column({ type: 'char', length: 64 })
  hash: string;

  @Column({ type: 'varchar', length: 255 })
  title: string;

  @Column({ type: 'varchar', length: 280 })
  slug: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ name: 'original_filename', type: 'varchar', length: 255 })
  originalFilename: string;

  @Column({ name: 'file_size', type: 'bigint', transformer: bigintAsNumber })
  fileSize: number;

  @Column({ name: 'content_type', type: 'varchar', length: 255 })
  contentType: string;

  @Column({ name: 'file_type', type: 'enum', enum: FILE_TYPES, enumName: 'file_type' })
  fileType: FileType;

  @Column({ type: 'integer', nullable: true })
  width: number | null;

  @Column({ type: 'integer', nullable: true })
  height: number | null;

  @Column({ name: 'access_level', type: 'enum', enum: ACCESS_LEVELS, enumName: 'access_level', default: 'members' })
  accessLevel: AccessLevel;

  /** 1, plus one per replacement of the file's content. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  /** Free-form JSON object kept for clients (<= 16 KiB serialized, checked by the application). */
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata: Record<string, unknown>;

  @Column({ name: 'download_count', type: 'bigint', default: 0, transformer: bigintAsNumber })
  downloadCount: number;

  @Column({ name: 'last_accessed_at', type: 'timestamptz', nullable: true })
  lastAccessedAt: Date | null;

  @Column({ name: 'created_by', type: 'uuid' })
  createdById: string;

  @ManyToOne(() => User)
  @JoinColumn({ name: 'created_by' })
  createdBy: Relation<User>;

  @ManyToMany(() => Tag)
  @JoinTable({
    name: 'media_file_tags',
    joinColumn: { name: 'media_file_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'tag_id', referencedColumnName: 'id' },
  })
  tags: Relation<Tag>[];

  @ManyToMany(() => Collection)
  @JoinTable({
    name: 'media_file_collections',
    joinColumn: { name: 'media_file_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'collection_id', referencedColumnName: 'id' },
  })
  collections: Relation<Collection>[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ name: 'deleted_by', type: 'uuid', nullable: true })
  deletedById: string | null;
}
