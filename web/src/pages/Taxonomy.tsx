import { useState, type FormEvent } from 'react';
import type { Page } from '../api/types';
import { ErrorAlert, formText, Loading, useResource } from '../components/ui';

interface Item {
  id: string;
  fileCount?: number;
}

/**
 * Tags and collections are the same page: a list with each item's name and file count, a form to create one,
 * and per item a form to rename it and a button to delete it. `field` is what names an item (`name`, `title`).
 */
export interface TaxonomyOperations<T> {
  list(): Promise<Page<T>>;
  create(value: string): Promise<unknown>;
  rename(id: string, value: string): Promise<unknown>;
  remove(id: string): Promise<unknown>;
}

export function TaxonomyPage<T extends Item>({
  heading,
  noun,
  field,
  fieldLabel,
  operations,
}: {
  heading: string;
  noun: string;
  field: 'name' | 'title';
  fieldLabel: string;
  operations: TaxonomyOperations<T>;
}) {
  const list = useResource(() => operations.list(), heading);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<unknown>();
  const nameOf = (item: T) => String((item as unknown as Record<string, unknown>)[field]);

  const run = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      setCreating(false);
      setEditing(undefined);
      list.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  const valueOf = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    return formText(new FormData(event.currentTarget), field).trim();
  };

  return (
    <>
      <h1>{heading}</h1>
      <div className="toolbar">
        <button type="button" onClick={() => (setCreating(true), setEditing(undefined))}>
          New {noun}
        </button>
      </div>
      <ErrorAlert error={error ?? list.error} />
      {creating && (
        <form
          className="inline-form"
          aria-label={`New ${noun}`}
          onSubmit={(event) => {
            const value = valueOf(event);
            void run(() => operations.create(value));
          }}
        >
          <label>
            {fieldLabel}
            <input name={field} required autoFocus maxLength={255} />
          </label>
          <button type="submit">Create</button>
          <button type="button" onClick={() => setCreating(false)}>
            Cancel
          </button>
        </form>
      )}
      {list.loading && !list.data && <Loading />}
      {list.data && list.data.results.length === 0 && <p>None yet.</p>}
      <ul className="rows" aria-label={heading}>
        {list.data?.results.map((item) => (
          <li key={item.id} className="row">
            {editing === item.id ? (
              <form
                className="inline-form"
                aria-label={`Edit ${nameOf(item)}`}
                onSubmit={(event) => {
                  const value = valueOf(event);
                  void run(() => operations.rename(item.id, value));
                }}
              >
                <label>
                  {fieldLabel}
                  <input name={field} defaultValue={nameOf(item)} required autoFocus maxLength={255} />
                </label>
                <button type="submit">Save</button>
                <button type="button" onClick={() => setEditing(undefined)}>
                  Cancel
                </button>
              </form>
            ) : (
              <>
                <div className="row-main">
                  <span className="name">{nameOf(item)}</span>
                  <span className="muted small">
                    {item.fileCount === undefined ? '' : `${item.fileCount} ${item.fileCount === 1 ? 'file' : 'files'}`}
                  </span>
                </div>
                <span className="row-actions">
                  <button type="button" onClick={() => (setEditing(item.id), setCreating(false))}>
                    Edit
                  </button>
                  <button type="button" className="danger" onClick={() => void run(() => operations.remove(item.id))}>
                    Delete
                  </button>
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
