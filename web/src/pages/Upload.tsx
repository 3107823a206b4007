import { useRef, useState, type DragEvent } from 'react';
import { api, call, messageOf } from '../api/client';
import type { UploadResult } from '../api/types';
import { formatBytes } from '../components/ui';
import { sha256 } from '../upload/hashing';
import { sendFile } from '../upload/send';

type Phase = 'waiting' | 'hashing' | 'checking' | 'uploading' | 'done' | 'failed';

interface Item {
  key: number;
  file: File;
  phase: Phase;
  /** 0..100 of the current phase. */
  progress: number;
  outcome?: string;
}

/** How many files go through hash → check → upload at once. */
const PARALLEL = 2;

const OUTCOMES: Record<Exclude<UploadResult['status'], 'error'>, string> = {
  pending: 'Pending approval',
  pending_updated: 'Updated pending upload',
  exists: 'Already in the library',
};

let nextKey = 0;

export default function UploadPage() {
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const update = (key: number, change: Partial<Item>) =>
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...change } : item)));

  const process = async (item: Item) => {
    try {
      update(item.key, { phase: 'hashing', progress: 0 });
      const hash = await sha256(item.file, (done) =>
        update(item.key, { progress: item.file.size ? Math.floor((done / item.file.size) * 100) : 100 }),
      );
      update(item.key, { phase: 'checking', progress: 100 });
      const check = await call(api.POST('/api/uploads/check', { body: { hashes: [hash] } }));
      // Content already in the library is not sent again. Pending content is: only an upload renews that
      // pending file for this uploader (the server keeps its one stored copy).
      if (check.results[0]?.status === 'exists') {
        update(item.key, { phase: 'done', progress: 100, outcome: OUTCOMES.exists });
        return;
      }
      update(item.key, { phase: 'uploading', progress: 0 });
      const answer = await sendFile(item.file, (sent, total) =>
        update(item.key, { progress: total ? Math.floor((sent / total) * 100) : 100 }),
      );
      const result = answer.results[0];
      if (!result || result.status === 'error') {
        update(item.key, { phase: 'failed', progress: 100, outcome: result?.error?.message ?? 'The upload failed' });
      } else {
        update(item.key, { phase: 'done', progress: 100, outcome: OUTCOMES[result.status] });
      }
    } catch (failure) {
      update(item.key, { phase: 'failed', progress: 100, outcome: messageOf(failure) });
    }
  };

  const add = (files: FileList | File[]) => {
    const added = Array.from(files).map((file): Item => ({ key: ++nextKey, file, phase: 'waiting', progress: 0 }));
    if (added.length === 0) return;
    setItems((current) => [...added, ...current]);
    const queue = [...added];
    const runner = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) await process(item);
    };
    for (let i = 0; i < Math.min(PARALLEL, added.length); i += 1) void runner();
  };

  const drop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    add(event.dataTransfer.files);
  };

  return (
    <>
      <h1>Upload</h1>
      <section
        aria-label="Drop zone"
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
      >
        <p>Drop files here, or</p>
        <label className="button">
          Choose files
          <input
            ref={input}
            type="file"
            multiple
            className="visually-hidden"
            onChange={(event) => {
              if (event.target.files) add(event.target.files);
              event.target.value = '';
            }}
          />
        </label>
        <p className="muted small">Files already in the library are recognised by their content and not sent again.</p>
      </section>
      {items.length > 0 && (
        <ul className="uploads" aria-label="Uploads">
          {items.map((item) => (
            <li key={item.key} className={`upload ${item.phase}`}>
              <span className="name">{item.file.name}</span>
              <span className="muted small">{formatBytes(item.file.size)}</span>
              <div
                role="progressbar"
                aria-label={`${item.file.name}: ${phaseLabel(item.phase)}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={item.progress}
                className="bar"
              >
                <span style={{ width: `${item.progress}%` }} />
              </div>
              {item.phase === 'failed' ? (
                <span className="outcome alert" role="alert">
                  {item.outcome}
                </span>
              ) : (
                <span className="outcome" aria-live="polite">
                  {item.outcome ?? `${phaseLabel(item.phase)}…`}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function phaseLabel(phase: Phase): string {
  return {
    waiting: 'Waiting',
    hashing: 'Checking content',
    checking: 'Checking content',
    uploading: 'Uploading',
    done: 'Done',
    failed: 'Failed',
  }[phase];
}
