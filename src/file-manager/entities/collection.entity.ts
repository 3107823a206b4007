import {
  Column,
  CreateDateColumn,
  Entity,
  JoinTable,
  ManyToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { ACCESS_LEVELS, type AccessLevel } from './columns.js';
import { Tag } from './tag.entity.js';

@Entity({ name: 'collections' })
export class Collection {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255 })
  title: string;

  @Column({ type: 'varchar', length: 280 })
  slug: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ name: 'access_level', type: 'enum', enum: ACCESS_LEVELS, enumName: 'access_level', default: 'members' })
  accessLevel: AccessLevel;

  @ManyToMany(() => Tag)
  @JoinTable({
    name: 'collection_tags',
    joinColumn: { name: 'collection_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'tag_id', referencedColumnName: 'id' },
  })
  tags: Relation<Tag>[];

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdById: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
