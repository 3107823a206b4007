import { DomainException, ForbiddenException, NotFoundException } from '../common/errors/domain.exception.js';

export class PendingFileNotFoundException extends NotFoundException {
  constructor() {
    super('Pending file');
  }
}

export class MediaFileNotFoundException extends NotFoundException {
  constructor() {
    super('Media file');
  }
}

/** Some of the files a request names do not exist for the caller (missing, trashed or not theirs to see). */
export class MediaFilesNotFoundException extends NotFoundException {
  constructor(fileIds: string[]) {
    super('Media file', { fileIds });
  }
}

export class NotPendingException extends DomainException {
  constructor(status: string) {
    super('NOT_PENDING', `This file is not pending any more (status: ${status})`, { status });
  }
}

export class DuplicateContentException extends DomainException {
  constructor(mediaFileId: string) {
    super('DUPLICATE_CONTENT', 'An active media file already holds this content', { mediaFileId });
  }
}

/** A member's replacement whose content already waits for moderation as another upload or another replacement. */
export class ContentPendingException extends DomainException {
  constructor() {
    super('CONTENT_PENDING', 'This content already waits for moderation as another upload');
  }
}

/** Approving a replacement whose media file was moved to the trash or purged since: the pending file stays. */
export class ReplacementTargetGoneException extends DomainException {
  constructor(mediaFileId: string, state: 'trashed' | 'purged') {
    super('REPLACEMENT_TARGET_GONE', `The file this replaces was ${state}; restore it or reject the replacement`, {
      mediaFileId,
      state,
    });
  }
}

export class ContentReplacedConcurrentlyException extends DomainException {
  constructor() {
    super('CONFLICT', "The file's content was replaced concurrently; try again");
  }
}

export class ContentMissingException extends DomainException {
  constructor() {
    // The record's bytes are gone from storage: refusing is better than creating a media file that can't be served.
    super('CONFLICT', 'The stored content of this file is missing; upload it again');
  }
}

export class UnknownTagsException extends DomainException {
  constructor(ids: string[]) {
    super('UNKNOWN_TAGS', 'Some tags do not exist', { tagIds: ids });
  }
}

export class UnknownCollectionsException extends DomainException {
  constructor(ids: string[]) {
    super('UNKNOWN_COLLECTIONS', 'Some collections do not exist', { collectionIds: ids });
  }
}

export class TagNotFoundException extends NotFoundException {
  constructor() {
    super('Tag');
  }
}

export class CollectionNotFoundException extends NotFoundException {
  constructor() {
    super('Collection');
  }
}

/** What a slug belongs to, as error messages name it. */
export type SlugOwner = 'media file' | 'tag' | 'collection';

export class SlugTakenException extends DomainException {
  constructor(owner: SlugOwner, slug: string | undefined) {
    super('SLUG_TAKEN', `Another ${owner} already uses this slug`, { slug });
  }
}

export class TagMergeIntoItselfException extends DomainException {
  constructor() {
    super('BAD_REQUEST', 'A tag cannot be merged into itself');
  }
}

export class TagExistsException extends DomainException {
  constructor(name: string) {
    super('TAG_EXISTS', 'A tag with this name already exists', { name });
  }
}

const NOT_YOURS = {
  'change this file': 'Only the uploader or an admin may change this file',
  'delete this file': 'Only the uploader or an admin may delete this file',
  'change this tag': 'Only the creator of this tag or an admin may change it',
  'change this collection': 'Only the creator of this collection or an admin may change it',
  'remove this usage': 'Only the member who recorded this usage or an admin may remove it',
} as const;

/** The caller may see the record but not change it: only its creator or an admin may. */
export class NotYoursException extends ForbiddenException {
  constructor(action: keyof typeof NOT_YOURS) {
    super(NOT_YOURS[action]);
  }
}

/** Setting this level would hide the record from the caller themself: saved, then 404. Nothing changes. */
export class AccessLevelNotAllowedException extends DomainException {
  constructor(accessLevel: string) {
    super('ACCESS_LEVEL_NOT_ALLOWED', 'You may not set an access level you could not read yourself', { accessLevel });
  }
}

export class ApprovedFileChangedException extends DomainException {
  constructor() {
    // Approved, then trashed and purged (or replaced) by someone else before the answer was read.
    super('CONFLICT', 'The approved file was changed concurrently');
  }
}

export class PayloadTooLargeException extends DomainException {
  constructor() {
    super('PAYLOAD_TOO_LARGE', 'The request body is larger than the configured limit');
  }
}

export class MalformedMultipartException extends DomainException {
  constructor() {
    super('BAD_REQUEST', 'The multipart body is malformed');
  }
}

export class UploadAbortedException extends DomainException {
  constructor() {
    super('BAD_REQUEST', 'The client aborted the upload');
  }
}

export class InUseException extends DomainException {
  constructor(usageCount: number) {
    super('IN_USE', 'This file is still in use; remove its usages first', { usageCount });
  }
}

export class NoFilesException extends DomainException {
  constructor() {
    super('NO_FILES', 'The request has no "files" part');
  }
}

export class NoFileException extends DomainException {
  constructor() {
    super('NO_FILES', 'The request has no "file" part');
  }
}

export class UploadInterruptedException extends DomainException {
  constructor() {
    // The upload's claim on its object lapsed (the process stalled past the session timeout): nothing was recorded.
    super('SERVICE_UNAVAILABLE', 'The upload took too long to complete; try again');
  }
}

/** A signed media URL that was altered, truncated or signed with another key. */
export class InvalidMediaUrlException extends DomainException {
  constructor() {
    super('INVALID_MEDIA_URL', 'This media URL is not valid');
  }
}

/** A genuine signed media URL past its expiry: fetch the file's view again for a fresh one. */
export class MediaUrlExpiredException extends DomainException {
  constructor(expiredAt: Date) {
    super('MEDIA_URL_EXPIRED', 'This media URL has expired; fetch the file again for a fresh one', {
      expiredAt: expiredAt.toISOString(),
    });
  }
}

/** The multipart body carries more parts than one upload request may: the request is refused whole. */
export class TooManyPartsException extends DomainException {
  constructor(kind: 'fields' | 'files', max: number) {
    super(
      'TOO_MANY_PARTS',
      `An upload request carries at most ${max} ${kind === 'fields' ? 'text fields' : 'file parts'}`,
      {
        [kind === 'fields' ? 'maxFields' : 'maxFileParts']: max,
      },
    );
  }
}

/**
 * The file is readable but its thumbnail or preview is not there: not rendered yet (`pending`), or never will be
 * (`failed`, `unsupported`); `details.status` says which, so a client knows whether to ask again.
 */
export class RenditionNotReadyException extends DomainException {
  constructor(kind: 'thumbnail' | 'preview', status: 'pending' | 'ready' | 'failed' | 'unsupported') {
    super('RENDITION_NOT_READY', `This file has no ${kind} yet`, { kind, status });
  }
}
