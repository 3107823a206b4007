/**
 * Every picture, video, sound and document the console shows goes through this module, so the choice of URL for
 * content lives here only.
 *
 * Everything is opened through the view's signed URLs (docs/media-urls.md): the browser fetches them itself without
 * an Authorization header, so pictures cache, video and audio stream with Range and nothing is held in memory.
 * Lists show `urls.thumbnail` (a small WebP the server renders, docs/renditions.md), blurred up from the view's
 * `placeholder` (thumbhash) while it loads, and a placeholder until the file has a thumbnail: a media file's content
 * is never read for a list picture (a full read counts as a download).
 */
import { useMemo } from 'react';
import { thumbHashToDataURL } from 'thumbhash';
import type { FileType, MediaUrls } from '../api/types';

const THUMBNAIL_FETCH_LIMIT = 5 * 1024 * 1024;

export interface MediaSource {
  id: string;
  fileType: FileType;
  fileSize: number;
  contentType: string;
  urls?: MediaUrls;
  /** thumbhash, base64 */
  placeholder?: string;
}

type Kind = 'files' | 'pending';

function placeholder(fileType: FileType): string {
  const label = { image: 'IMG', document: 'DOC', video: 'VID', audio: 'AUD', archive: 'ZIP', other: 'FILE' }[fileType];
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120"><rect width="160" height="120" fill="#d8dde6"/>` +
    `<text x="80" y="68" font-family="sans-serif" font-size="22" text-anchor="middle" fill="#4a5568">` +
    `${label}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** The thumbhash as a tiny PNG data URL (a few hundred bytes), or undefined when there is none or it is malformed. */
function useBlurUrl(hash: string | undefined): string | undefined {
  return useMemo(() => {
    if (!hash) return undefined;
    try {
      return thumbHashToDataURL(Uint8Array.from(atob(hash), (char) => char.charCodeAt(0)));
    } catch {
      return undefined;
    }
  }, [hash]);
}

/** Blur-up: the placeholder as the picture's background until the picture itself paints over it. */
function blurStyle(blur: string | undefined) {
  return blur ? { backgroundImage: `url("${blur}")`, backgroundSize: 'cover' } : undefined;
}

/** A small picture of a file for lists: its thumbnail when there is one, else a placeholder. */
export function Thumbnail({ file, kind, alt }: { file: MediaSource; kind: Kind; alt: string }) {
  const blur = useBlurUrl(file.placeholder);
  // Not rendered yet: a pending image may be shown from its content (pending files never count downloads).
  const pendingImage =
    kind === 'pending' && file.fileType === 'image' && file.fileSize <= THUMBNAIL_FETCH_LIMIT
      ? file.urls?.content
      : undefined;
  return (
    <img
      className="thumb"
      src={file.urls?.thumbnail ?? pendingImage ?? placeholder(file.fileType)}
      style={blurStyle(file.urls?.thumbnail ? blur : undefined)}
      alt={alt}
      loading="lazy"
      decoding="async"
    />
  );
}

/**
 * The file itself, in the browser's own viewer for its type (image, video, audio, PDF), from its signed URLs: an
 * image as its preview (a WebP that fits 1600×1600) when there is one, video with the preview as poster frame, video
 * and audio streamed with Range requests instead of being loaded whole, a PDF as itself.
 */
export function Preview({ file, title }: { file: MediaSource; title: string }) {
  const blur = useBlurUrl(file.placeholder);
  const content = file.urls?.content;
  const previewable = ['image', 'video', 'audio'].includes(file.fileType) || file.contentType === 'application/pdf';
  if (!content || !previewable) {
    const still = file.urls?.preview;
    return <img className="preview" src={still ?? placeholder(file.fileType)} alt={title} style={blurStyle(blur)} />;
  }
  if (file.fileType === 'image') {
    return <img className="preview" src={file.urls?.preview ?? content} alt={title} style={blurStyle(blur)} />;
  }
  if (file.fileType === 'video') {
    return (
      <video
        className="preview"
        src={content}
        poster={file.urls?.preview}
        controls
        preload="metadata"
        aria-label={title}
      />
    );
  }
  if (file.fileType === 'audio') return <audio src={content} controls preload="metadata" aria-label={title} />;
  return <iframe className="preview pdf" src={content} title={title} />;
}

/**
 * Download with the original filename: the browser fetches the signed URL itself (streamed to disk, no header
 * needed), and the server counts the download as for `/content`.
 */
export function DownloadLink({ file, filename }: { file: MediaSource; filename: string }) {
  if (!file.urls?.content) return null;
  return (
    <a href={file.urls.content} download={filename}>
      Download
    </a>
  );
}
