import type { IncomingMessage } from 'node:http';

/**
 * The deepest JSON body accepted. The API's deepest body (a bulk approval's tag list) is 3 levels; everything
 * below the parser (class-transformer, class-validator, the NUL check) walks the body recursively, and 10,000
 * levels overflowed the stack (a 500, even on the anonymous login route).
 */
export const MAX_JSON_DEPTH = 32;

/** Raised from body-parser's `verify` hook; the exception filter answers it 400 by its `type`. */
export class JsonTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;
  readonly expose = true;

  constructor(readonly maxDepth: number) {
    super(`The JSON body is nested deeper than ${maxDepth} levels`);
  }
}

/**
 * Whether the JSON text opens more than `limit` arrays/objects inside one another. A linear scan of the raw text
 * (brackets inside strings do not count), done before JSON.parse so nothing recursive ever sees such a body.
 */
export function exceedsJsonDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (escaped) escaped = false;
      else if (char === 0x5c) escaped = true;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      if (++depth > limit) return true;
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** body-parser's `verify` option for the JSON parser. */
export function verifyJsonDepth(_request: IncomingMessage, _response: unknown, body: Buffer, encoding: string): void {
  const text = body.toString(Buffer.isEncoding(encoding) ? encoding : 'utf8');
  if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) throw new JsonTooDeepError(MAX_JSON_DEPTH);
}
