import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import type { PendingFile, PendingStatus, User } from '../api/types';
import { Thumbnail } from '../components/Media';
import { MetadataFields, readMetadataForm } from '../components/MetadataFields';
import { Dialog, ErrorAlert, formatBytes, formatDate, formText, Loading, useResource } from '../components/ui';
import { Link } from '../router';

const STATUSES: PendingStatus[] = ['pending', 'approved', 'rejected', 'expired'];

interface Outcome {
  name: string;
  text: string;
  failed: boolean;
}

type Action = { kind: 'approve'; file: PendingFile } | { kind: 'reject'; files: PendingFile[] };

/** "holiday-photo_01.jpg" → "holiday photo 01": a readable starting title. */
export function titleFromFilename(filename: string): string {
  const base = filename.replace(/\.[^.]+$/, '') || filename;
  return base.replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim() || filename;
}

export default function PendingPage({ user }: { user: User }) {
  const admin = user.role === 'admin';
  const [status, setStatus] = useState<PendingStatus>('pending');
  const list = useResource(
    () => call(api.GET('/api/pending', { params: { query: { status, pageSize: 100 } } })),
    status,
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [action, setAction] = useState<Action>();
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [error, setError] = useState<unknown>();
  const files = list.data?.results ?? [];
  const chosen = files.filter((file) => selected.has(file.id));
  const actionable = admin && status === 'pending';

  const finish = (results: Outcome[]) => {
    setOutcomes(results);
    setSelected(new Set());
    setAction(undefined);
    list.reload();
  };

  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const approveSelected = async () => {
    setError(undefined);
    try {
      const answer = await call(
        api.POST('/api/pending/bulk-approve', {
          body: {
            approvals: chosen.map((file) => ({
              pendingFileId: file.id,
              title: titleFromFilename(file.originalFilename),
              accessLevel: 'members' as const,
            })),
          },
        }),
      );
      finish(
        answer.results.map((result) => ({
          name: nameOf(files, result.pendingFileId),
          text: result.status === 'approved' ? 'Approved' : (result.error?.message ?? 'Not approved'),
          failed: result.status !== 'approved',
        })),
      );
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <>
      <h1>Pending</h1>
      <p className="muted">{admin ? 'Uploads waiting for approval.' : 'Your uploads and their status.'}</p>
      <div className="toolbar">
        <label>
          Status
          <select
            value={status}
            onChange={(event) => (setStatus(event.target.value as PendingStatus), setSelected(new Set()))}
          >
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        {actionable && (
          <>
            <button type="button" disabled={chosen.length === 0} onClick={() => void approveSelected()}>
              Approve selected
            </button>
            <button
              type="button"
              disabled={chosen.length === 0}
              onClick={() => setAction({ kind: 'reject', files: chosen })}
            >
              Reject selected
            </button>
          </>
        )}
      </div>
      <ErrorAlert error={error ?? list.error} />
      {outcomes.length > 0 && (
        <section aria-label="Outcomes" className="outcomes">
          <h2>Outcomes</h2>
          <ul>
            {outcomes.map((outcome, index) => (
              <li key={index} className={outcome.failed ? 'failed' : 'ok'}>
                {outcome.name}: {outcome.text}
              </li>
            ))}
          </ul>
        </section>
      )}
      {list.loading && !list.data && <Loading />}
      {list.data && files.length === 0 && <p>Nothing here.</p>}
      <ul className="rows" aria-label="Pending files">
        {files.map((file) => (
          <li key={file.id} className="row">
            {actionable && (
              <input
                type="checkbox"
                aria-label={`Select ${file.originalFilename}`}
                checked={selected.has(file.id)}
                onChange={(event) => toggle(file.id, event.target.checked)}
              />
            )}
            <Thumbnail file={file} kind="pending" alt={file.originalFilename} />
            <div className="row-main">
              <span className="name">{file.originalFilename}</span>
              {file.replacesMediaFileId && (
                <Link href={`/files/${file.replacesMediaFileId}`} className="small">
                  Replaces the content of a library file
                </Link>
              )}
              <span className="muted small">
                {[
                  file.fileType,
                  formatBytes(file.fileSize),
                  file.uploadedBy?.name ?? file.uploadedBy?.email,
                  file.status === 'pending' ? `expires ${formatDate(file.expiresAt)}` : undefined,
                  file.reason,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </span>
            </div>
            <span className={`status ${file.status}`}>{file.status}</span>
            {actionable && (
              <span className="row-actions">
                <button type="button" onClick={() => setAction({ kind: 'approve', file })}>
                  Approve
                </button>
                <button type="button" className="danger" onClick={() => setAction({ kind: 'reject', files: [file] })}>
                  Reject
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
      {action?.kind === 'approve' && (
        <ApproveDialog
          file={action.file}
          onClose={() => setAction(undefined)}
          onDone={(outcome) => finish([outcome])}
        />
      )}
      {action?.kind === 'reject' && (
        <RejectDialog files={action.files} onClose={() => setAction(undefined)} onDone={finish} />
      )}
    </>
  );
}

function nameOf(files: PendingFile[], id: string): string {
  return files.find((file) => file.id === id)?.originalFilename ?? id;
}

function ApproveDialog({
  file,
  onClose,
  onDone,
}: {
  file: PendingFile;
  onClose: () => void;
  onDone: (outcome: Outcome) => void;
}) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const replacement = Boolean(file.replacesMediaFileId);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await call(
        api.POST('/api/pending/{id}/approve', {
          params: { path: { id: file.id } },
          // A replacement keeps the file's metadata: the approval's fields are not applied (a title is required).
          body: replacement
            ? { title: titleFromFilename(file.originalFilename) }
            : readMetadataForm(event.currentTarget),
        }),
      );
      onDone({ name: file.originalFilename, text: 'Approved', failed: false });
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Approve ${file.originalFilename}`} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} className="stack">
        {replacement ? (
          <p>
            This replaces the content of a library file. The file keeps its title, tags, collections and other details.
          </p>
        ) : (
          <MetadataFields
            initial={{
              title: titleFromFilename(file.originalFilename),
              description: '',
              accessLevel: 'members',
              tagIds: [],
              collectionIds: [],
            }}
          />
        )}
        <ErrorAlert error={error} />
        <p className="actions">
          <button type="submit" disabled={busy}>
            Approve
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

function RejectDialog({
  files,
  onClose,
  onDone,
}: {
  files: PendingFile[];
  onClose: () => void;
  onDone: (outcomes: Outcome[]) => void;
}) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const reason = formText(new FormData(event.currentTarget), 'reason').trim() || undefined;
    setBusy(true);
    setError(undefined);
    try {
      if (files.length === 1) {
        await call(api.POST('/api/pending/{id}/reject', { params: { path: { id: files[0].id } }, body: { reason } }));
        onDone([{ name: files[0].originalFilename, text: 'Rejected', failed: false }]);
        return;
      }
      const answer = await call(
        api.POST('/api/pending/bulk-reject', { body: { ids: files.map((file) => file.id), reason } }),
      );
      onDone(
        answer.results.map((result) => ({
          name: nameOf(files, result.id),
          text: result.status === 'rejected' ? 'Rejected' : (result.error?.message ?? 'Not rejected'),
          failed: result.status !== 'rejected',
        })),
      );
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  const title = files.length === 1 ? `Reject ${files[0].originalFilename}` : `Reject ${files.length} files`;
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} className="stack">
        <label>
          Reason
          <textarea name="reason" rows={3} maxLength={1000} />
        </label>
        <ErrorAlert error={error} />
        <p className="actions">
          <button type="submit" className="danger" disabled={busy}>
            Reject
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}
