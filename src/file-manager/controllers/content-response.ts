import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPartialContentResponse, ApiResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../../common/openapi/api-errors.decorator.js';
import { WEBP_IMAGE } from '../../common/openapi/binary.js';
import { pipeline } from 'node:stream/promises';
import { contentDisposition, mayRenderInline } from '../../storage/content-disposition.js';
import { RangeNotSatisfiableException } from '../../storage/storage.errors.js';
import type { ContentAnswer, ContentConditions, MediaContent } from '../services/media-content.service.js';

/** The conditions of a content read, as the request states them (HEAD reads nothing). */
export function contentConditionsOf(request: Request): ContentConditions {
  return {
    range: request.get('range'),
    ifRange: request.get('if-range'),
    ifNoneMatch: request.get('if-none-match'),
    withBody: request.method !== 'HEAD',
  };
}

export interface SendContentOptions {
  /** Only passive types inline; active ones (HTML, SVG, XML, scripts) as `attachment`. */
  passiveInlineOnly?: boolean;
}

/**
 * Writes a content answer: 304, 416 (thrown, the filter writes the contract's error body), 206 or 200 with the
 * bytes. Every answer carries nosniff and the sandbox CSP: uploaded content is untrusted and must never run script in
 * our origin.
 */
export async function sendContent(answer: ContentAnswer, response: Response, options: SendContentOptions = {}) {
  // Set before any branch: a browser copies a 304's headers onto its cached copy, which must keep this policy.
  response.set({ ...validatorHeaders(answer.content), ...UNTRUSTED_CONTENT_HEADERS });
  if (answer.kind === 'not-modified') {
    response.status(304).end();
    return;
  }
  if (answer.kind === 'unsatisfiable') {
    // The header is HTTP's; the body is the contract's error, written by the exception filter like any other.
    response.set('Content-Range', `bytes */${answer.content.size}`);
    throw new RangeNotSatisfiableException(answer.content.size);
  }
  const { content, range, body } = answer;
  const inline = !options.passiveInlineOnly || mayRenderInline(content.contentType);
  response.set({
    'Content-Type': content.contentType,
    'Content-Disposition': contentDisposition(content.originalFilename, inline),
  });
  if (range) {
    response.status(206).set({
      'Content-Range': `bytes ${range.start}-${range.end}/${content.size}`,
      'Content-Length': String(range.end - range.start + 1),
    });
  } else {
    response.status(200).set('Content-Length', String(content.size));
  }
  if (!body) {
    response.end();
    return;
  }
  // A failure mid-stream can't become an error body any more: pipeline destroys the response (cut connection).
  await pipeline(body, response).catch(() => undefined);
}

const UNTRUSTED_CONTENT_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "sandbox; default-src 'none'",
};

/** `no-cache`: every use is revalidated (304 when unchanged), so the record checks run even for cached bytes. */
function validatorHeaders(content: MediaContent): Record<string, string> {
  return { ETag: content.etag, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, no-cache' };
}

export const RENDITION_SUMMARY = (kind: 'thumbnail' | 'preview') =>
  `The ${kind} (WebP), under the same rules as /content; never counted as a download; 404 RENDITION_NOT_READY until ` +
  'rendered';

/**
 * The document of a thumbnail or preview route: the WebP bytes (ranges and 304 as for content), and 404 for a record
 * the caller may not read or `RENDITION_NOT_READY` (with `details.status`) while there is no such rendition.
 */
export function ApiRendition(
  operation: { operationId: string; summary: string; description?: string },
  errors: number[] = [404],
) {
  return applyDecorators(
    ApiOperation(operation),
    ApiOkResponse({ description: 'the WebP image', content: WEBP_IMAGE }),
    ApiPartialContentResponse({ description: 'the requested byte range', content: WEBP_IMAGE }),
    ApiResponse({ status: 304, description: 'not modified (`If-None-Match` matched the ETag)' }),
    ApiErrors(...errors, 416),
  );
}
