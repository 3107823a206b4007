import { useState } from 'react';
import { api, call } from '../api/client';
import type { User } from '../api/types';
import { Thumbnail } from '../components/Media';
import { Dialog, ErrorAlert, formatBytes, formatDate, Loading, useResource } from '../components/ui';

export default function TrashPage({ user }: { user: User }) {
  const admin = user.role === 'admin';
  const list = useResource(() => call(api.GET('/api/trash', { params: { query: { pageSize: 100 } } })), 'trash');
  const [error, setError] = useState<unknown>();
  const [status, setStatus] = useState<string>();
  const [confirming, setConfirming] = useState(false);

  const act = async (work: () => Promise<unknown>, done: string) => {
    setError(undefined);
    setStatus(undefined);
    try {
      await work();
      setStatus(done);
      list.reload();
    } catch (failure) {
      setError(failure);
    }
  };

  const files = list.data?.results ?? [];
  return (
    <>
      <h1>Trash</h1>
      {admin && (
        <div className="toolbar">
          <button type="button" className="danger" disabled={files.length === 0} onClick={() => setConfirming(true)}>
            Empty trash
          </button>
        </div>
      )}
      {status && <p role="status">{status}</p>}
      <ErrorAlert error={error ?? list.error} />
      {list.loading && !list.data && <Loading />}
      {list.data && files.length === 0 && <p>The trash is empty.</p>}
      <ul className="rows" aria-label="Trashed files">
        {files.map((file) => (
          <li key={file.id} className="row">
            <Thumbnail file={file} kind="files" alt={file.title} />
            <div className="row-main">
              <span className="name">{file.title}</span>
              <span className="muted small">
                {file.originalFilename} · {formatBytes(file.fileSize)} · trashed {formatDate(file.deletedAt)}
              </span>
            </div>
            <span className="row-actions">
              <button
                type="button"
                onClick={() =>
                  void act(
                    () => call(api.POST('/api/trash/{id}/restore', { params: { path: { id: file.id } } })),
                    `${file.title} restored.`,
                  )
                }
              >
                Restore
              </button>
              {admin && (
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    void act(
                      () => call(api.DELETE('/api/trash/{id}', { params: { path: { id: file.id } } })),
                      `${file.title} deleted for good.`,
                    )
                  }
                >
                  Delete forever
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
      {confirming && (
        <Dialog title="Empty trash?" onClose={() => setConfirming(false)}>
          <p>Every file in the trash is deleted for good. This cannot be undone.</p>
          <p className="actions">
            <button
              type="button"
              className="danger"
              onClick={() => {
                setConfirming(false);
                void act(async () => {
                  const answer = await call(api.DELETE('/api/trash', {}));
                  return answer;
                }, 'The trash was emptied.');
              }}
            >
              Empty trash
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </p>
        </Dialog>
      )}
    </>
  );
}
