/**
 * Bumped whenever the generators' output changes (sizes, format, quality, orientation handling): renditions are
 * keyed by (content hash, kind, generator version), so a new version renders again and the old rows are freed.
 */
export const GENERATOR_VERSION = 1;

export const RENDITION_KINDS = ['thumbnail', 'preview'] as const;
export type RenditionKind = (typeof RENDITION_KINDS)[number];

/** Each kind fits inside a square of this many pixels (never enlarged). */
export const RENDITION_BOX: Record<RenditionKind, number> = { thumbnail: 320, preview: 1600 };

export const RENDITION_CONTENT_TYPE = 'image/webp';

/** Object keys of renditions: apart from content objects (`objects/`), unique per rendered incarnation. */
export const RENDITION_KEY_PREFIX = 'renditions/';
