import {
  Injectable,
  ValidationPipe,
  type ArgumentMetadata,
  type PipeTransform,
  type ValidationError,
} from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { ValidationFailedException } from './errors/domain.exception.js';

/**
 * The property may be left out of a body, but not sent as `null`: class-validator's `IsOptional` lets `null` through
 * as well, and a `null` title, slug, role or list of ids then reached the database and answered 500. Use
 * `IsOptional` only for fields whose views are nullable, where `null` clears them (a tag's color).
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}

/** Flattens class-validator's nested errors into `[{ field: 'approvals.0.title', errors: [...] }]`. */
export function toFieldErrors(errors: ValidationError[], parent = ''): Array<{ field: string; errors: string[] }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, errors: Object.values(error.constraints) }] : [];
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

/** The global pipe: unknown fields are refused, payloads are transformed into their DTO classes. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new ValidationFailedException(toFieldErrors(errors)),
  });
}

/**
 * PostgreSQL text cannot hold the NUL character (U+0000): a string carrying one would fail deep in a query. This
 * global pipe refuses it at the edge, in any body, query or path value, as a validation error naming the field.
 */
@Injectable()
export class RejectNulCharactersPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const offending = nulPaths(value, metadata.data ?? '');
    if (offending.length) {
      throw new ValidationFailedException(
        offending.map((field) => ({ field: field || metadata.type, errors: ['must not contain NUL characters'] })),
      );
    }
    return value;
  }
}

function nulPaths(value: unknown, path: string, depth = 0): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path] : [];
  if (depth > 32 || value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => nulPaths(child, path ? `${path}.${key}` : key, depth + 1));
}
