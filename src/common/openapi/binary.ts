/** A response body of stored bytes: its type is the file's own (`Content-Type`), not known to the document. */
export const BINARY_CONTENT = { '*/*': { schema: { type: 'string', format: 'binary' } } } as const;
