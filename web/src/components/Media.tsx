/**
 * Every picture, video, sound and document the console shows goes through this module, so the choice of URL for
 * content lives here only.
 *
 * Content is opened through the view's signed URL (`urls.content`, docs/media-urls.md): the browser fetches it
 * itself without an Authorization header, so video and audio stream with Range and nothing is held in memory.
 * Media files are never read for thumbnails that way: a full read of a media file counts as a download. Until
 * renditions exist (`urls.thumbnail`), list pictures of media files are placeholders with the same `alt`.
 */
import { useEffect, useState } from 'react';
import { authorizedFetch } from '../api/client';
import type { FileType, MediaUrls } from '../api/types';

const THUMBNAIL_FETCH_LIMIT = 5 * 1024 * 1024;

export interface MediaSource {
  id: string;
  fileType: FileType;
  fileSize: number;
  contentType: string;
  urls?: MediaUrls;
}

type Kind = 'files' | 'pending';

/** Set once the server answers that it has no thumbnail route, so a list does not ask once per item. */
let thumbnailRouteMissing = false;

function useBlobUrl(path: string | undefined, onMissing?: (code: string | undefined) => void): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!path) return;
    let live = true;
    let created: string | undefined;
    authorizedFetch(new Request(path))
      .then(async (response) => {
        if (!response.ok) {
          const body = (await response.json().catch(() => ({}))) as { code?: string };
          onMissing?.(body.code);
          return;
        }
        const blob = await response.blob();
        if (!live) return;
        created = URL.createObjectURL(blob);
        setUrl(created);
      })
      .catch(() => undefined);
    return () => {
      live = false;
      if (created) URL.revokeObjectURL(created);
    };
  }, [path]);
  return url;
}

function placeholder(fileType: FileType): string {
  const label = { image: 'IMG', document: 'DOC', video: 'VID', audio: 'AUD', archive: 'ZIP', other: 'FILE' }[fileType];
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120"><rect width="160" height="120" fill="#d8dde6"/>` +
    `<text x="80" y="68" font-family="sans-serif" font-size="22" text-anchor="middle" fill="#4a5568">` +
    `${label}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** A small picture of a file for lists: its thumbnail when there is one, else a placeholder. */
export function Thumbnail({ file, kind, alt }: { file: MediaSource; kind: Kind; alt: string }) {
  // A pending file's content may be read in full (pending files never count downloads); a media file's may not.
  const pendingImage =
    kind === 'pending' && file.fileType === 'image' && file.fileSize <= THUMBNAIL_FETCH_LIMIT
      ? file.urls?.content
      : undefined;
  const direct = file.urls?.thumbnail ?? pendingImage;
  const [missing, setMissing] = useState(false);
  const path =
    !direct && !missing && kind === 'files' && file.fileType === 'image' && !thumbnailRouteMissing
      ? `/api/files/${file.id}/thumbnail`
      : undefined;
  const blob = useBlobUrl(path, (code) => {
    if (code === 'ROUTE_NOT_FOUND') thumbnailRouteMissing = true;
    setMissing(true);
  });
  return (
    <img
      className="thumb"
      src={direct ?? blob ?? placeholder(file.fileType)}
      alt={alt}
      loading="lazy"
      decoding="async"
    />
  );
}

/**
 * The file itself, in the browser's own viewer for its type (image, video, audio, PDF), straight from its signed URL:
 * video and audio stream with Range requests instead of being loaded whole.
 */
export function Preview({ file, title }: { file: MediaSource; title: string }) {
  const src = file.urls?.preview ?? file.urls?.content;
  const previewable = ['image', 'video', 'audio'].includes(file.fileType) || file.contentType === 'application/pdf';
  if (!src || !previewable) return <img className="preview" src={placeholder(file.fileType)} alt={title} />;
  if (file.fileType === 'image') return <img className="preview" src={src} alt={title} />;
  if (file.fileType === 'video') {
    return <video className="preview" src={src} controls preload="metadata" aria-label={title} />;
  }
  if (file.fileType === 'audio') return <audio src={src} controls preload="metadata" aria-label={title} />;
  return <iframe className="preview pdf" src={src} title={title} />;
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
