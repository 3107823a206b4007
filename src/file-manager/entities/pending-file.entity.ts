import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { User } from '../../auth/user.entity.js';
import { bigintAsNumber, FILE_TYPES, PENDING_STATUSES, type FileType, type PendingStatus } from './columns.js';

/** An upload waiting for moderation. One per content (hash); reused when the same content is uploaded again. */
@Entity({ name: 'pending_files' })
export class PendingFile {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'char', length: 64 })
  hash: string;

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

  @Column({ name: 'folder_path', type: 'varchar', length: 1024, default: '' })
  folderPath: string;

  @Column({ type: 'enum', enum: PENDING_STATUSES, enumName: 'pending_status', default: 'pending' })
  status: PendingStatus;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'uploaded_by', type: 'uuid' })
  uploadedById: string;

  @ManyToOne(() => User)
  @JoinColumn({ name: 'uploaded_by' })
  uploadedBy: Relation<User>;

  @Column({ name: 'reviewed_by', type: 'uuid', nullable: true })
  reviewedById: string | null;

  @Column({ name: 'reviewed_at', type: 'timestamptz', nullable: true })
  reviewedAt: Date | null;

  @Column({ name: 'media_file_id', type: 'uuid', nullable: true })
  mediaFileId: string | null;

  /** A replacement of that media file's content proposed by its uploader; null for an ordinary upload. */
  @Column({ name: 'replaces_media_file_id', type: 'uuid', nullable: true })
  replacesMediaFileId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
