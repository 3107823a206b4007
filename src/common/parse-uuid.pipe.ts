import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ValidationFailedException } from './errors/domain.exception.js';

/**
 * `@Param('id', ParseUuidPipe)`: a malformed UUID in a path is a validation error like any other
 * (`400 VALIDATION_FAILED`, `details.fields` naming the parameter); an unknown one is the service's 404.
 */
@Injectable()
export class ParseUuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (typeof value === 'string' && isUUID(value)) return value;
    const field = metadata.data ?? 'id';
    throw new ValidationFailedException([{ field, errors: [`${field} must be a UUID`] }]);
  }
}
