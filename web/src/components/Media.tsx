/**
 * Every picture, video, sound and document the console shows goes through this module, so that the switch to
 * signed media URLs (`urls.thumbnail`, `urls.preview`, `urls.content`, usable without a header) happens here only.
 *
 * Until a view carries those URLs, content is fetched with the Authorization header into a blob: URL, for small
 * files only (a whole file is read into memory), and everything else shows a placeholder with the same `alt`.
 * Media files are never fetched for thumbnails that way: a full read of `/content` counts as a download.
 */
import { useEffect, useState, type MouseEvent } from 'react';
import { authorizedFetch } from '../api/client';
import type { FileType, MediaUrls } from '../api/types';

const THUMBNAIL_FETCH_LIMIT = 5 * 1024 * 1024;
const PREVIEW_FETCH_LIMIT = 50 * 1024 * 1024;

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
  const direct = file.urls?.thumbnail;
  const [missing, setMissing] = useState(false);
  let path: string | undefined;
  if (!direct && !missing) {
    if (kind === 'pending' && file.fileType === 'image' && file.fileSize <= THUMBNAIL_FETCH_LIMIT) {
      path = `/api/pending/${file.id}/content`;
    } else if (kind === 'files' && file.fileType === 'image' && !thumbnailRouteMissing) {
      path = `/api/files/${file.id}/thumbnail`;
    }
  }
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

/** The file itself, in the browser's own viewer for its type (image, video, audio, PDF). */
export function Preview({ file, kind, title }: { file: MediaSource; kind: Kind; title: string }) {
  const direct = file.urls?.preview ?? file.urls?.content;
  const previewable = ['image', 'video', 'audio'].includes(file.fileType) || file.contentType === 'application/pdf';
  const path =
    !direct && previewable && file.fileSize <= PREVIEW_FETCH_LIMIT ? `/api/${kind}/${file.id}/content` : undefined;
  const blob = useBlobUrl(path);
  const src = direct ?? blob;
  if (!previewable) return <img className="preview" src={placeholder(file.fileType)} alt={title} />;
  if (!src) {
    return <img className="preview" src={placeholder(file.fileType)} alt={title} />;
  }
  if (file.fileType === 'image') return <img className="preview" src={src} alt={title} />;
  if (file.fileType === 'video') return <video className="preview" src={src} controls aria-label={title} />;
  if (file.fileType === 'audio') return <audio src={src} controls aria-label={title} />;
  return <iframe className="preview pdf" src={src} title={title} />;
}

/**
 * Download with the original filename. With a signed URL the browser fetches it itself; until then the bytes come
 * through the API with the Authorization header (held in memory, so this is meant for ordinary file sizes).
 */
export function DownloadLink({ file, filename }: { file: MediaSource; filename: string }) {
  const [error, setError] = useState<string>();
  const href = `/api/files/${file.id}/download`;
  const download = async (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    setError(undefined);
    try {
      const response = await authorizedFetch(new Request(`/api/files/${file.id}/content`));
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { message?: string };
        throw new Error(body.message ?? `Download failed (${response.status})`);
      }
      const url = URL.createObjectURL(await response.blob());
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = filename;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return (
    <>
      <a
        href={file.urls?.content ?? href}
        download={filename}
        onClick={file.urls?.content ? undefined : (event) => void download(event)}
      >
        Download
      </a>
      {error && (
        <span role="alert" className="alert">
          {error}
        </span>
      )}
    </>
  );
}
