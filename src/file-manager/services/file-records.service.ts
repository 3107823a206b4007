import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { MediaFile } from '../entities/media-file.entity.js';
import { PendingFile } from '../entities/pending-file.entity.js';

/**
 * Reads of pending and media files with the relations their views need. Writes that touch content go through
 * HashCleanupService; this class never locks anything.
 */
@Injectable()
export class FileRecordsService {
  constructor(
    @InjectRepository(MediaFile) private readonly mediaFiles: Repository<MediaFile>,
    @InjectRepository(PendingFile) private readonly pendingFiles: Repository<PendingFile>,
  ) {}

  findMediaFile(id: string, options: { withDeleted?: boolean } = {}): Promise<MediaFile | null> {
    return this.mediaFiles.findOne({
      where: { id },
      relations: { createdBy: true, tags: true, collections: true },
      withDeleted: options.withDeleted ?? false,
    });
  }

  /** Several media files with their relations, in the order of `ids`. */
  async findMediaFiles(ids: string[], options: { withDeleted?: boolean } = {}): Promise<MediaFile[]> {
    if (ids.length === 0) return [];
    const files = await this.mediaFiles.find({
      where: { id: In(ids) },
      relations: { createdBy: true, tags: true, collections: true },
      withDeleted: options.withDeleted ?? false,
    });
    const byId = new Map(files.map((file) => [file.id, file]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  findPendingFile(id: string): Promise<PendingFile | null> {
    return this.pendingFiles.findOne({ where: { id }, relations: { uploadedBy: true } });
  }

  async findPendingFiles(ids: string[]): Promise<PendingFile[]> {
    if (ids.length === 0) return [];
    const files = await this.pendingFiles.find({ where: { id: In(ids) }, relations: { uploadedBy: true } });
    const byId = new Map(files.map((file) => [file.id, file]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }
}
