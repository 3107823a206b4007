import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A place where a media file is used (a page, a post...). A file in use cannot be trashed. */
@Entity({ name: 'media_usages' })
export class MediaUsage {
  @PrimaryColumn({ name: 'media_file_id', type: 'uuid' })
  mediaFileId: string;

  @PrimaryColumn({ name: 'content_type', type: 'varchar', length: 100 })
  contentType: string;

  @PrimaryColumn({ name: 'content_id', type: 'varchar', length: 255 })
  contentId: string;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdById: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
