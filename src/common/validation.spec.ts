import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsInt, IsString, MinLength, ValidateNested, validateSync, type ValidationError } from 'class-validator';
import { ValidationFailedException } from './errors/domain.exception.js';
import { createValidationPipe, toFieldErrors } from './validation.js';

class Approval {
  @IsString()
  @MinLength(1)
  title: string;
}

class BulkApproval {
  @IsInt()
  count: number;

  @ValidateNested({ each: true })
  @Type(() => Approval)
  approvals: Approval[];
}

describe('toFieldErrors', () => {
  it('answers nothing for no errors', () => {
    expect(toFieldErrors([])).toEqual([]);
  });

  it('lists each top-level field with all of its messages', () => {
    const errors = validateSync(plainToInstance(Approval, { title: 42 }));
    const fields = toFieldErrors(errors);
    expect(fields).toHaveLength(1);
    expect(fields[0].field).toBe('title');
    expect(fields[0].errors.length).toBeGreaterThanOrEqual(2);
  });

  it('flattens nested errors into dotted paths with array indexes', () => {
    const errors = validateSync(
      plainToInstance(BulkApproval, { count: 'x', approvals: [{ title: 'fine' }, { title: '' }, {}] }),
    );
    expect(toFieldErrors(errors)).toEqual([
      { field: 'count', errors: [expect.stringContaining('integer')] },
      { field: 'approvals.1.title', errors: [expect.stringContaining('title')] },
      { field: 'approvals.2.title', errors: expect.arrayContaining([expect.stringContaining('title')]) },
    ]);
  });

  it('keeps a parent that has constraints of its own as well as its children', () => {
    const errors: ValidationError[] = [
      {
        property: 'meta',
        constraints: { isObject: 'meta must be an object' },
        children: [{ property: 'size', constraints: { min: 'size must not be less than 0' }, children: [] }],
      },
    ];
    expect(toFieldErrors(errors)).toEqual([
      { field: 'meta', errors: ['meta must be an object'] },
      { field: 'meta.size', errors: ['size must not be less than 0'] },
    ]);
  });
});

describe('createValidationPipe', () => {
  it('throws VALIDATION_FAILED listing the offending fields, unknown ones included', async () => {
    const pipe = createValidationPipe();
    const failure = await pipe.transform({ title: '', extra: 1 }, { type: 'body', metatype: Approval }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ValidationFailedException);
    const { code, details } = failure as ValidationFailedException;
    expect(code).toBe('VALIDATION_FAILED');
    const fields = (details?.fields as Array<{ field: string }>).map(({ field }) => field).sort();
    expect(fields).toEqual(['extra', 'title']);
  });
});
