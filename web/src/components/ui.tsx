import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { messageOf } from '../api/client';

/** The API's message (or any failure) where assistive technology announces it. */
export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" className="alert">
      {messageOf(error)}
    </p>
  );
}

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` when `key` changes; `reload()` loads again (after an action changed the data). */
export function useResource<T>(load: () => Promise<T>, key: string): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    loader.current().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/**
 * A modal dialog (the native <dialog>: focus moves into it, Escape closes it, the page behind is inert), named by
 * its heading.
 */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const closed = useRef(onClose);
  closed.current = onClose;
  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    // `close` fires a task after close(): when the dialog was opened again meanwhile (an effect run twice), it is
    // stale and ignored; otherwise the user closed it (Escape) and the owner hears of it.
    const handle = () => {
      if (!dialog.open) closed.current();
    };
    dialog.addEventListener('close', handle);
    return () => {
      dialog.removeEventListener('close', handle);
      if (dialog.open) dialog.close();
    };
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={id} className="dialog">
      <h2 id={id}>{title}</h2>
      {children}
    </dialog>
  );
}

export function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '–';
  return new Date(iso).toLocaleString();
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <p role="status" className="muted">
      {label}…
    </p>
  );
}
