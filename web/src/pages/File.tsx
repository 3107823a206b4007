import { Fragment, useState, type ChangeEvent, type FormEvent } from 'react';
import { api, call } from '../api/client';
import type { MediaInfo, User } from '../api/types';
import { DownloadLink, Preview } from '../components/Media';
import { MetadataFields, readMetadataForm } from '../components/MetadataFields';
import { ErrorAlert, formatBytes, formatDate, Loading, useResource } from '../components/ui';
import { navigate } from '../router';

export default function FilePage({ id, user }: { id: string; user: User }) {
  const file = useResource(() => call(api.GET('/api/files/{id}', { params: { path: { id } } })), id);
  const usages = useResource(
    () => call(api.GET('/api/files/{id}/usages', { params: { path: { id } } })),
    `${id}-usages`,
  );
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const [replaced, setReplaced] = useState<string>();

  if (file.error) return <ErrorAlert error={file.error} />;
  if (!file.data) return <Loading />;
  const media = file.data;
  const mayChange = user.role === 'admin' || media.createdBy?.id === user.id;

  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(undefined);
    try {
      await call(
        api.PATCH('/api/files/{id}', { params: { path: { id } }, body: readMetadataForm(event.currentTarget) }),
      );
      setEditing(false);
      setSaved(true);
      file.reload();
    } catch (failure) {
      setError(failure);
    }
  };

  // An admin's replacement applies at once (200, the file); the uploader's waits for approval (201, a pending file).
  const replaceContent = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const chosen = input.files?.[0];
    if (!chosen) return;
    setError(undefined);
    setReplaced(undefined);
    const form = new FormData();
    form.append('file', chosen);
    try {
      const answer = await call(
        api.PUT('/api/files/{id}/content', {
          params: { path: { id } },
          body: form as unknown as { file: string },
        }),
      );
      if ('status' in answer && answer.status === 'pending') setReplaced('Replacement pending approval');
      else {
        setReplaced('Content replaced');
        file.reload();
      }
    } catch (failure) {
      setError(failure);
    } finally {
      input.value = '';
    }
  };

  const trash = async () => {
    setError(undefined);
    try {
      await call(api.DELETE('/api/files/{id}', { params: { path: { id } } }));
      navigate('/trash');
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <article className="file">
      <h1>{media.title}</h1>
      <div className="file-layout">
        <div className="file-preview">
          <Preview file={media} title={media.title} />
        </div>
        <div>
          <dl className="meta">
            <dt>Filename</dt>
            <dd>{media.originalFilename}</dd>
            <dt>Type</dt>
            <dd>
              {media.fileType} ({media.contentType})
            </dd>
            <dt>Size</dt>
            <dd>{formatBytes(media.fileSize)}</dd>
            {media.width && media.height ? (
              <>
                <dt>Dimensions</dt>
                <dd>
                  {media.width} × {media.height}
                </dd>
              </>
            ) : null}
            <MediaInfoRows info={media.mediaInfo} />
            <dt>Access level</dt>
            <dd>{media.accessLevel}</dd>
            <dt>Description</dt>
            <dd>{media.description || '–'}</dd>
            <dt>Tags</dt>
            <dd>{media.tags.map((tag) => tag.name).join(', ') || '–'}</dd>
            <dt>Collections</dt>
            <dd>{media.collections.map((collection) => collection.title).join(', ') || '–'}</dd>
            <dt>Uploaded by</dt>
            <dd>{media.createdBy?.name ?? media.createdBy?.email ?? '–'}</dd>
            <dt>Created</dt>
            <dd>{formatDate(media.createdAt)}</dd>
            <dt>Downloads</dt>
            <dd>{media.downloadCount}</dd>
            <dt>Used in</dt>
            <dd>
              {usages.data ? `${usages.data.count} ${usages.data.count === 1 ? 'place' : 'places'}` : '–'}
              <ErrorAlert error={usages.error} />
              {usages.data && usages.data.usages.length > 0 && (
                <ul className="usages">
                  {usages.data.usages.map((usage) => (
                    <li key={`${usage.contentType}:${usage.contentId}`}>
                      {usage.contentType} {usage.contentId}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>SHA-256</dt>
            <dd className="hash">{media.hash}</dd>
          </dl>
          <p className="actions">
            <DownloadLink file={media} filename={media.originalFilename} />
            {mayChange && !editing && (
              <button type="button" onClick={() => (setEditing(true), setSaved(false))}>
                Edit
              </button>
            )}
            {mayChange && (
              <button type="button" className="danger" onClick={() => void trash()}>
                Move to trash
              </button>
            )}
          </p>
          {mayChange && (
            <p>
              <label>
                Replace content <input type="file" onChange={(event) => void replaceContent(event)} />
              </label>
            </p>
          )}
          {saved && <p role="status">Saved.</p>}
          {replaced && <p role="status">{replaced}</p>}
          <ErrorAlert error={error} />
          {editing && (
            <form onSubmit={(event) => void save(event)} className="stack" aria-label="Edit file">
              <MetadataFields
                initial={{
                  title: media.title,
                  description: media.description ?? '',
                  accessLevel: media.accessLevel,
                  tagIds: media.tags.map((tag) => tag.id),
                  collectionIds: media.collections.map((collection) => collection.id),
                }}
              />
              <p className="actions">
                <button type="submit">Save</button>
                <button type="button" onClick={() => setEditing(false)}>
                  Cancel
                </button>
              </p>
            </form>
          )}
        </div>
      </div>
    </article>
  );
}

/** What the server extracted from the content, the fields it found (GPS only reaches the uploader and admins). */
function MediaInfoRows({ info }: { info?: MediaInfo }) {
  if (!info) return null;
  const camera = [info.camera?.make, info.camera?.model].filter(Boolean).join(' ');
  const rows: Array<[string, string | undefined]> = [
    ['Taken', info.takenAt && formatDate(info.takenAt)],
    ['Camera', camera || undefined],
    ['Lens', info.lens],
    ['Duration', info.durationSeconds === undefined ? undefined : `${info.durationSeconds.toFixed(1)} s`],
    ['Pages', info.pageCount === undefined ? undefined : String(info.pageCount)],
    ['Location', info.gps && `${info.gps.latitude.toFixed(5)}, ${info.gps.longitude.toFixed(5)}`],
  ];
  return (
    <>
      {rows
        .filter((row): row is [string, string] => Boolean(row[1]))
        .map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
    </>
  );
}
