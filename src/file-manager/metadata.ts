import { registerDecorator, type ValidationOptions } from 'class-validator';
import { ValidationFailedException } from '../common/errors/domain.exception.js';

/** The most a media file's `metadata` may take, as UTF-8 JSON (`JSON.stringify`, no spaces). */
export const METADATA_MAX_BYTES = 16 * 1024;

export type Metadata = Record<string, unknown>;

export function isMetadataObject(value: unknown): value is Metadata {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function metadataBytes(metadata: Metadata): number {
  return Buffer.byteLength(JSON.stringify(metadata), 'utf8');
}

/** The seed's `annotation` is kept inside `metadata` (it wins over a `metadata.annotation` sent beside it). */
export function withAnnotation(metadata: Metadata, annotation: string | undefined): Metadata {
  return annotation === undefined ? metadata : { ...metadata, annotation };
}

/**
 * The metadata a change leaves, when it fits; 400 VALIDATION_FAILED (like the DTO's own check) when the annotation
 * merged into it makes it too large.
 */
export function assertMetadataFits(metadata: Metadata): Metadata {
  if (metadataBytes(metadata) > METADATA_MAX_BYTES) {
    throw new ValidationFailedException([
      { field: 'metadata', errors: [`metadata must be at most ${METADATA_MAX_BYTES} bytes serialized`] },
    ]);
  }
  return metadata;
}

/** class-validator: a JSON object (not an array, not null) of at most `METADATA_MAX_BYTES` serialized. */
export function IsMetadata(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isMetadata',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => isMetadataObject(value) && metadataBytes(value) <= METADATA_MAX_BYTES,
        defaultMessage: (args) =>
          `${args?.property ?? 'metadata'} must be a JSON object of at most ${METADATA_MAX_BYTES} bytes serialized`,
      },
    });
}
