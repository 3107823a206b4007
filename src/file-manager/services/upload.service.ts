import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { DomainException } from '../../common/errors/domain.exception.js';
import type { ErrorCode } from '../../common/errors/error-codes.js';
import { uploadConfig } from '../../config/configuration.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { ObjectStorage } from '../../storage/object-storage.js';
import {
  MalformedMultipartException,
  NoFileException,
  NoFilesException,
  PayloadTooLargeException,
  TooManyPartsException,
  UploadAbortedException,
} from '../file-manager.errors.js';
import { MediaFileViewsRepository } from '../repositories/media-file-views.repository.js';
import { MediaFilesRepository } from '../repositories/media-files.repository.js';
import { PendingFilesRepository } from '../repositories/pending-files.repository.js';
import { detectContent, UnsupportedTypeError } from '../utils/content-type.util.js';
import { sanitizeFilename, sanitizeFolderPath } from '../utils/filename.util.js';
import type { MediaFileView, PendingFileView } from '../views.js';
import { HashCleanupService, type StoredContent, type UploadOutcome } from './hash-cleanup.service.js';
import { FileTooLargeError, streamPartToStorage } from './upload-stream.js';
import { UploadSessionsService } from './upload-sessions.service.js';

export const UPLOAD_FIELD = 'files';
/** Text fields one upload request may carry (only `folderPath` is read). */
export const MAX_UPLOAD_FIELDS = 50;
/**
 * File parts beyond MAX_FILES_PER_REQUEST are each answered TOO_MANY_FILES, up to this many more; a request with
 * even more is refused whole (413 TOO_MANY_PARTS), so every file part a request carries gets an answer.
 */
export const EXTRA_FILE_PARTS_ANSWERED = 1000;

export interface UploadResult {
  filename: string;
  status: 'pending' | 'pending_updated' | 'exists' | 'error';
  hash?: string;
  pendingFile?: PendingFileView;
  mediaFile?: MediaFileView | { id: string };
  error?: { code: ErrorCode; message: string };
}

export interface UploadReport {
  results: UploadResult[];
  successCount: number;
  errorCount: number;
}

export type HashStatus = 'new' | 'pending' | 'exists' | 'trashed';

/** What became of one streamed file: recorded (with what `record` answered) or refused with a code. */
export type Ingested<R> = { filename: string } & (
  { kind: 'recorded'; hash: string; outcome: R } | { kind: 'refused'; hash?: string; code: ErrorCode; message: string }
);

/** What became of one uploaded file: recorded (pending, pending_updated, exists) or refused with a code. */
export type PartOutcome = Ingested<UploadOutcome>;

/** The one file part of `PUT /api/files/:id/content`. */
export const REPLACEMENT_FIELD = 'file';

@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);

  constructor(
    private readonly storage: ObjectStorage,
    private readonly sessions: UploadSessionsService,
    private readonly hashCleanup: HashCleanupService,
    private readonly mediaFiles: MediaFilesRepository,
    private readonly mediaFileViews: MediaFileViewsRepository,
    private readonly pendingFiles: PendingFilesRepository,
    @Inject(uploadConfig.KEY) private readonly config: ConfigType<typeof uploadConfig>,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * Reads a `multipart/form-data` request part by part, streaming each `files` part into storage and recording it.
   * One refused file does not fail the others; storage or database failures fail the request (503).
   */
  async receive(request: IncomingMessage, uploader: AuthenticatedUser): Promise<UploadReport> {
    const declaredLength = Number(request.headers['content-length'] ?? 0);
    if (declaredLength > this.config.maxRequestBytes) throw new PayloadTooLargeException();
    if (!/^multipart\/form-data/i.test(request.headers['content-type'] ?? '')) throw new NoFilesException();

    const { outcomes, folderPath } = await this.parse(request, UPLOAD_FIELD, this.config.maxFilesPerRequest, (part) =>
      this.ingestStream(part.stream, part.filename, '', uploader),
    );
    if (outcomes.length === 0) throw new NoFilesException();
    return this.report(outcomes, folderPath, uploader);
  }

  /**
   * `PUT /api/files/:id/content`: streams the one `file` part into storage and hands it to `record` (the
   * `HashCleanupService` step that replaces the content, or proposes the replacement for moderation). A refused part
   * answers its code (FILE_TOO_LARGE, EMPTY_FILE, UNSUPPORTED_TYPE, …).
   */
  async replaceContent<R>(request: IncomingMessage, record: (stored: StoredContent) => Promise<R>): Promise<R> {
    const declaredLength = Number(request.headers['content-length'] ?? 0);
    if (declaredLength > this.config.maxRequestBytes) throw new PayloadTooLargeException();
    if (!/^multipart\/form-data/i.test(request.headers['content-type'] ?? '')) throw new NoFileException();
    const { outcomes } = await this.parse(request, REPLACEMENT_FIELD, 1, (part) =>
      this.ingest(part.stream, part.filename, record),
    );
    const [outcome] = outcomes;
    if (!outcome) throw new NoFileException();
    if (outcome.kind === 'refused') throw new DomainException(outcome.code, outcome.message);
    return outcome.outcome;
  }

  /** For each hash: `exists` (active media file), `trashed`, `pending` (awaiting moderation) or `new`. */
  async check(hashes: string[]): Promise<Array<{ hash: string; status: HashStatus }>> {
    const rows = await this.mediaFiles.contentStatuses(hashes);
    const byHash = new Map(rows.map((row) => [row.hash, row.status]));
    return hashes.map((hash) => ({ hash, status: byHash.get(hash) ?? 'new' }));
  }

  private parse<R>(
    request: IncomingMessage,
    field: string,
    maxFiles: number,
    ingest: (part: { stream: Readable; filename: string | undefined }) => Promise<Ingested<R>>,
  ): Promise<{ outcomes: Array<Ingested<R>>; folderPath: string | undefined }> {
    return new Promise((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({
          headers: request.headers,
          defParamCharset: 'utf8',
          // Beyond a limit busboy skips parts silently: the limit events below refuse the request instead.
          limits: {
            fieldSize: 64 * 1024,
            fields: MAX_UPLOAD_FIELDS,
            files: maxFiles + EXTRA_FILE_PARTS_ANSWERED,
          },
        });
      } catch {
        return reject(new MalformedMultipartException());
      }
      const pending: Array<Promise<Ingested<R>>> = [];
      let folderPath: string | undefined;
      let filesSeen = 0;
      let received = 0;
      let failed = false;
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        request.unpipe(parser);
        request.resume();
        // Ends the part being streamed (its store write aborts and its object is given back to GC).
        parser.destroy();
        reject(error instanceof Error ? error : new Error(String(error)));
      };

      request.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.config.maxRequestBytes) fail(new PayloadTooLargeException());
      });
      request.on('aborted', () => fail(new UploadAbortedException()));
      request.on('error', () => fail(new UploadAbortedException()));

      parser.on('field', (name, value) => {
        if (name === 'folderPath') folderPath = sanitizeFolderPath(value);
      });
      parser.on('file', (name, stream, info) => {
        // When the request is abandoned (parser destroyed), a part not fully read yet errors ("unexpected end of
        // file"): parts skipped or discarded below need a listener too (`ingestStream` attaches its own).
        stream.on('error', () => undefined);
        if (name !== field || failed) {
          stream.resume();
          return;
        }
        filesSeen += 1;
        const outcome =
          filesSeen > maxFiles
            ? discard<R>(stream, info.filename ?? '', 'TOO_MANY_FILES', 'Too many files in one request')
            : ingest({ stream, filename: info.filename });
        pending.push(outcome);
        outcome.catch(fail);
      });
      parser.on('fieldsLimit', () => fail(new TooManyPartsException('fields', MAX_UPLOAD_FIELDS)));
      parser.on('filesLimit', () => fail(new TooManyPartsException('files', maxFiles + EXTRA_FILE_PARTS_ANSWERED)));
      parser.on('error', () => fail(new MalformedMultipartException()));
      parser.on('close', () => {
        Promise.all(pending)
          .then((outcomes) => {
            if (!failed) resolve({ outcomes, folderPath });
          })
          .catch(fail);
      });
      request.pipe(parser);
    });
  }

  /**
   * Streams one file into storage and records it, exactly as an HTTP upload part is (the CLI import uses it too).
   * Refusals (too large, empty, unsupported, bad name) come back as `refused`; storage or database failures throw.
   */
  async ingestStream(
    stream: Readable,
    rawFilename: string | undefined,
    folderPath: string,
    uploader: AuthenticatedUser,
  ): Promise<PartOutcome> {
    const place = { folderPath: sanitizeFolderPath(folderPath), uploadedById: uploader.id };
    const ingested = await this.ingest(stream, rawFilename, (stored) =>
      this.hashCleanup.recordUpload({ ...stored, ...place }),
    );
    if (ingested.kind === 'recorded' && ingested.outcome.reusedStoredContent) this.metrics?.dedupHits.inc();
    return ingested;
  }

  /**
   * Streams one file into storage under an upload claim, types it, and hands it to `record` (which takes the claim
   * in its transaction). Refusals come back as `refused`; storage or database failures (and `record`'s) throw, the
   * object given back to garbage collection.
   */
  private async ingest<R>(
    stream: Readable,
    rawFilename: string | undefined,
    record: (stored: StoredContent) => Promise<R>,
  ): Promise<Ingested<R>> {
    // Nobody reads the stream while its claim is being taken below; if it fails meanwhile (the request or the import
    // was abandoned), that 'error' must not go unheard (it would take the process down): `streamPartToStorage`
    // reports the failure once it reads the stream.
    stream.on('error', () => undefined);
    const filename = sanitizeFilename(rawFilename);
    if (!filename) return discard<R>(stream, rawFilename ?? '', 'BAD_FILENAME', 'The file has no usable name');

    const session = await this.sessions.open();
    let streamed;
    try {
      streamed = await streamPartToStorage(stream, this.config.maxFileBytes, (body) =>
        this.storage.putStream(session.objectKey, body, { contentType: 'application/octet-stream' }),
      );
    } catch (error) {
      await this.sessions.abandon(session);
      if (error instanceof FileTooLargeError) {
        return { filename, kind: 'refused', code: 'FILE_TOO_LARGE', message: error.message };
      }
      throw error;
    }

    const refuse = async (code: ErrorCode, message: string): Promise<Ingested<R>> => {
      await this.sessions.abandon(session);
      return { filename, kind: 'refused', hash: streamed.hash, code, message };
    };
    if (streamed.size === 0) return refuse('EMPTY_FILE', 'The file is empty');
    let detected;
    try {
      detected = await detectContent(streamed.head, filename);
    } catch (error) {
      if (error instanceof UnsupportedTypeError) return refuse('UNSUPPORTED_TYPE', error.message);
      await this.sessions.abandon(session);
      throw error;
    }

    try {
      const outcome = await record({
        hash: streamed.hash,
        size: streamed.size,
        objectKey: session.objectKey,
        originalFilename: filename,
        contentType: detected.contentType,
        fileType: detected.fileType,
        width: detected.width,
        height: detected.height,
      });
      session.close();
      this.metrics?.uploadBytes.inc(streamed.size);
      return { filename, kind: 'recorded', hash: streamed.hash, outcome };
    } catch (error) {
      // Nothing was recorded; the claim may still stand (database hiccup): give the object back to GC.
      await this.sessions
        .abandon(session)
        .catch((abandonError: unknown) =>
          this.logger.warn(`Could not release upload object after a failed record: ${String(abandonError)}`),
        );
      throw error;
    }
  }

  private async report(
    outcomes: PartOutcome[],
    folderPath: string | undefined,
    uploader: AuthenticatedUser,
  ): Promise<UploadReport> {
    const pendingIds = outcomes.flatMap((o) =>
      o.kind === 'recorded' && o.outcome.status !== 'exists' ? [o.outcome.pendingFileId] : [],
    );
    // `folderPath` applies to every file of the request, whichever order the client sent the parts in.
    if (folderPath) await this.pendingFiles.setFolderPath(pendingIds, folderPath);
    const mediaIds = outcomes.flatMap((o) =>
      o.kind === 'recorded' && o.outcome.status === 'exists' ? [o.outcome.mediaFileId] : [],
    );
    const pendingFiles = new Map(
      (await this.mediaFileViews.pendingViews(await this.pendingFiles.findManyWithUploader(pendingIds), uploader)).map(
        (view) => [view.id, view],
      ),
    );
    // Only what the caller may see: the full file when its access level allows, otherwise just its id.
    const mediaFiles = new Map(
      (await this.mediaFileViews.findActive(mediaIds, uploader, { readableOnly: true })).map((file) => [file.id, file]),
    );

    const results = outcomes.map((o): UploadResult => {
      if (o.kind === 'refused') {
        return {
          filename: o.filename,
          status: 'error',
          ...(o.hash ? { hash: o.hash } : {}),
          error: { code: o.code, message: o.message },
        };
      }
      if (o.outcome.status === 'exists') {
        const mediaFile = mediaFiles.get(o.outcome.mediaFileId) ?? { id: o.outcome.mediaFileId };
        return { filename: o.filename, status: 'exists', hash: o.hash, mediaFile };
      }
      const pendingFile = pendingFiles.get(o.outcome.pendingFileId);
      return {
        filename: o.filename,
        status: o.outcome.status,
        hash: o.hash,
        ...(pendingFile ? { pendingFile } : {}),
      };
    });
    const errorCount = results.filter((result) => result.status === 'error').length;
    return { results, successCount: results.length - errorCount, errorCount };
  }
}

/** Reads and drops a part that is refused before any byte is stored. */
async function discard<R>(stream: Readable, filename: string, code: ErrorCode, message: string): Promise<Ingested<R>> {
  stream.resume();
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('error', () => resolve());
  });
  return { filename: sanitizeFilename(filename) ?? filename.slice(0, 255), kind: 'refused', code, message };
}
