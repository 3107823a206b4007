import 'reflect-metadata';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MAX_BIGINT_NUMBER, MIN_BIGINT_NUMBER } from './numeric-ranges.js';

/** Every module that declares request DTOs: `*.dto.ts` anywhere under src, and the shared pagination query. */
function dtoModules(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return dtoModules(path);
    return /\.dto\.ts$|^pagination\.ts$/.test(entry.name) ? [path] : [];
  });
}

const srcDirectory = join(import.meta.dirname, '..');

describe('numeric DTO fields', () => {
  it('every integer or number field of every DTO is bounded by @Min and @Max within its column range', async () => {
    const modules = dtoModules(srcDirectory);
    expect(modules.length).toBeGreaterThanOrEqual(5);
    const dtoClasses = new Set<unknown>();
    for (const module of modules) {
      for (const value of Object.values(await import(pathToFileURL(module).href))) {
        if (typeof value === 'function') dtoClasses.add(value);
      }
    }
    const byTarget = new Map<string, ValidationMetadata[]>();
    for (const target of dtoClasses) {
      const metadatas = getMetadataStorage().getTargetValidationMetadatas(target as new () => object, '', true, false);
      for (const metadata of metadatas) {
        const key = `${(target as { name: string }).name}.${metadata.propertyName}`;
        byTarget.set(key, [...(byTarget.get(key) ?? []), metadata]);
      }
    }

    const isNumeric = (metadata: ValidationMetadata) => ['isInt', 'isNumber'].includes(metadata.name ?? '');
    const numeric = [...byTarget].filter(([, metadatas]) => metadatas.some(isNumeric));
    const names = numeric.map(([key]) => key);
    expect(names).toEqual(expect.arrayContaining(['MediaFileListQueryDto.maxSize', 'PaginationQueryDto.page']));
    const unbounded = numeric.filter(([, metadatas]) => {
      const min = metadatas.find((m) => m.name === 'min')?.constraints?.[0] as number | undefined;
      const max = metadatas.find((m) => m.name === 'max')?.constraints?.[0] as number | undefined;
      return min === undefined || max === undefined || min < MIN_BIGINT_NUMBER || max > MAX_BIGINT_NUMBER;
    });
    expect(unbounded.map(([key]) => key)).toEqual([]);
  });
});
