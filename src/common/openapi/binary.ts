/** A response body of stored bytes: its type is the file's own (`Content-Type`), not known to the document. */
export const BINARY_CONTENT = { '*/*': { schema: { type: 'string', format: 'binary' } } } as const;

/** A thumbnail or preview: always WebP (docs/renditions.md). */
export const WEBP_IMAGE = { 'image/webp': { schema: { type: 'string', format: 'binary' } } } as const;
