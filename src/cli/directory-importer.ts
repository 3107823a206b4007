import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { DomainException } from '../common/errors/domain.exception.js';
import { DuplicateContentException, NotPendingException } from '../file-manager/file-manager.errors.js';
import type { HashCleanupService } from '../file-manager/services/hash-cleanup.service.js';
import type { HashStatus, UploadService } from '../file-manager/services/upload.service.js';
import type { ProgressBar } from './progress.js';

export interface ImportOptions {
  /** Approve every imported file at once (title from the filename) instead of leaving it pending. */
  approve: boolean;
  /** Folder path prefix; each file's folder is this plus its directory inside the tree. */
  folder: string;
  uploader: AuthenticatedUser;
}

export interface ImportFailure {
  path: string;
  code: string;
  message: string;
}

export interface ImportSummary {
  /** Regular files found in the tree. */
  files: number;
  /** Files whose content was sent and recorded (as pending files, or approved with `--approve`). */
  imported: number;
  /** Of the files recorded or already pending, how many are now media files (`--approve`). */
  approved: number;
  /** Files not sent because the server has their content, or the tree had it already. */
  skipped: number;
  skippedBy: { exists: number; pending: number; duplicate: number };
  failed: number;
  failures: ImportFailure[];
  /** Bytes sent to storage. */
  bytes: number;
  /** Bytes of all files found. */
  totalBytes: number;
  durationMs: number;
  interrupted: boolean;
}

interface FoundFile {
  path: string;
  relativePath: string;
  size: number;
}

/** Files hashed and checked together: one `check` query per batch, and bounded memory on huge trees. */
const BATCH_SIZE = 200;
const MAX_LISTED_FAILURES = 1000;

/**
 * Imports a directory tree through the same path as HTTP uploads (upload claims, streamed storage writes,
 * `HashCleanupService.recordUpload`), so every guarantee of the upload contract holds. Each file is hashed
 * locally first and its hash checked: content already stored as an active media file or a pending file is never
 * sent again. That check and the one-record-per-content rule make an interrupted import safe to run again: what
 * was recorded is skipped, an upload cut in the middle left only an unclaimed object that garbage collection
 * removes.
 */
export class DirectoryImporter {
  private readonly logger = new Logger('Import');
  private readonly seen = new Set<string>();
  private current?: Readable;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly uploads: UploadService,
    private readonly hashCleanup: HashCleanupService,
  ) {}

  /** Stops after the current file; the file being read is abandoned (nothing half-recorded is left). */
  interrupt(): void {
    this.stopping = true;
    this.current?.destroy(new InterruptedError());
  }

  /** Lists the regular files under `root` (symbolic links are not followed), sorted for a stable order. */
  async scan(root: string): Promise<{ files: FoundFile[]; failures: ImportFailure[] }> {
    const files: FoundFile[] = [];
    const failures: ImportFailure[] = [];
    const walk = async (directory: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch (error) {
        failures.push({ path: directory, code: 'UNREADABLE', message: errorMessage(error) });
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) {
          try {
            files.push({ path, relativePath: relative(root, path), size: (await stat(path)).size });
          } catch (error) {
            failures.push({ path, code: 'UNREADABLE', message: errorMessage(error) });
          }
        }
      }
    };
    await walk(root);
    return { files, failures };
  }

  async run(
    files: FoundFile[],
    scanFailures: ImportFailure[],
    options: ImportOptions,
    progress: ProgressBar,
  ): Promise<ImportSummary> {
    const started = Date.now();
    const summary: ImportSummary = {
      files: files.length,
      imported: 0,
      approved: 0,
      skipped: 0,
      skippedBy: { exists: 0, pending: 0, duplicate: 0 },
      failed: 0,
      failures: [],
      bytes: 0,
      totalBytes: files.reduce((total, file) => total + file.size, 0),
      durationMs: 0,
      interrupted: false,
    };
    const fail = (path: string, code: string, message: string) => {
      summary.failed += 1;
      if (summary.failures.length < MAX_LISTED_FAILURES) summary.failures.push({ path, code, message });
    };
    for (const failure of scanFailures) fail(failure.path, failure.code, failure.message);

    for (let offset = 0; offset < files.length && !this.stopping; offset += BATCH_SIZE) {
      const batch = files.slice(offset, offset + BATCH_SIZE);
      const hashes = new Map<FoundFile, string>();
      for (const file of batch) {
        if (this.stopping) break;
        try {
          hashes.set(file, await this.hashFile(file.path, progress));
        } catch (error) {
          if (error instanceof InterruptedError) break;
          fail(file.relativePath, 'UNREADABLE', errorMessage(error));
          progress.itemDone();
        }
      }
      if (this.stopping) break;
      const statuses = new Map(
        (await this.uploads.check([...new Set(hashes.values())])).map(({ hash, status }) => [hash, status]),
      );

      for (const [file, hash] of hashes) {
        if (this.stopping) break;
        try {
          await this.importOne(file, hash, statuses.get(hash) ?? 'new', options, summary, fail, progress);
        } catch (error) {
          if (error instanceof InterruptedError || this.stopping) break;
          // Storage or database trouble for this file: report it and go on (a real outage fails every file).
          this.logger.warn(`${file.relativePath}: ${errorMessage(error)}`);
          fail(file.relativePath, error instanceof DomainException ? error.code : 'IMPORT_FAILED', errorMessage(error));
        }
        progress.itemDone();
      }
    }
    summary.interrupted = this.stopping;
    summary.durationMs = Date.now() - started;
    return summary;
  }

  private async importOne(
    file: FoundFile,
    hash: string,
    status: HashStatus,
    options: ImportOptions,
    summary: ImportSummary,
    fail: (path: string, code: string, message: string) => void,
    progress: ProgressBar,
  ): Promise<void> {
    if (this.seen.has(hash)) {
      summary.skipped += 1;
      summary.skippedBy.duplicate += 1;
      return;
    }
    if (status === 'exists') {
      this.seen.add(hash);
      summary.skipped += 1;
      summary.skippedBy.exists += 1;
      return;
    }
    if (status === 'pending') {
      this.seen.add(hash);
      // With --approve, a file left pending by an earlier (interrupted) run is approved now, without resending it.
      if (options.approve && (await this.approvePendingContent(hash, file, options.uploader))) summary.approved += 1;
      else {
        summary.skipped += 1;
        summary.skippedBy.pending += 1;
      }
      return;
    }

    // New content, or content whose media file is in the trash: sent and recorded like an upload would be.
    progress.addTotalBytes(file.size);
    const folderPath = [options.folder, dirname(file.relativePath).split(sep).join('/')]
      .filter((p) => p && p !== '.')
      .join('/');
    // Counted on the way through, without a 'data' listener on the file: that would start the flow before the
    // upload path attaches its own listeners, and the bytes read in between would be lost.
    const source = createReadStream(file.path, { highWaterMark: 1024 * 1024 });
    const stream = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        summary.bytes += chunk.length;
        progress.addBytes(chunk.length);
        done(null, chunk);
      },
    });
    source.once('error', (error) => stream.destroy(error));
    stream.once('close', () => source.destroy());
    source.pipe(stream);
    this.current = stream;
    let outcome;
    try {
      outcome = await this.uploads.ingestStream(stream, basename(file.path), folderPath, options.uploader);
    } finally {
      this.current = undefined;
    }
    // Recorded (or refused) even if an interrupt arrived meanwhile: count it; the loop stops before the next file.
    if (outcome.kind === 'refused') {
      fail(file.relativePath, outcome.code, outcome.message);
      return;
    }
    this.seen.add(outcome.hash);
    if (outcome.outcome.status === 'exists') {
      // Someone stored it between our check and our upload.
      summary.skipped += 1;
      summary.skippedBy.exists += 1;
      return;
    }
    summary.imported += 1;
    if (options.approve && (await this.approve(outcome.outcome.pendingFileId, file, options.uploader))) {
      summary.approved += 1;
    }
  }

  private async approvePendingContent(hash: string, file: FoundFile, reviewer: AuthenticatedUser): Promise<boolean> {
    const [pending] = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM pending_files WHERE hash = $1 AND status = 'pending'`,
      [hash],
    );
    return pending ? this.approve(pending.id, file, reviewer) : false;
  }

  /** Approves with the filename (without extension) as title; already approved or a duplicate is not an error. */
  private async approve(pendingFileId: string, file: FoundFile, reviewer: AuthenticatedUser): Promise<boolean> {
    try {
      await this.hashCleanup.approve(pendingFileId, { title: titleFrom(file.path) }, reviewer.id);
      return true;
    } catch (error) {
      if (error instanceof DuplicateContentException || error instanceof NotPendingException) return false;
      throw error;
    }
  }

  private hashFile(path: string, progress: ProgressBar): Promise<string> {
    return new Promise((resolve, reject) => {
      const hasher = createHash('sha256');
      const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
      this.current = stream;
      stream.on('data', (chunk) => {
        hasher.update(chunk);
        progress.addBytes(chunk.length);
      });
      stream.once('error', (error) => {
        this.current = undefined;
        reject(error);
      });
      stream.once('end', () => {
        this.current = undefined;
        resolve(hasher.digest('hex'));
      });
    });
  }
}

export class InterruptedError extends Error {
  constructor() {
    super('Interrupted');
    this.name = 'InterruptedError';
  }
}

function titleFrom(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  const stem = (dot > 0 ? name.slice(0, dot) : name).trim();
  return Array.from(stem || name)
    .slice(0, 255)
    .join('');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
