import { useEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ACCESS_LEVELS, FILE_TYPES, type AccessLevel, type FileType, type MediaFile } from '../api/types';
import { Thumbnail } from '../components/Media';
import { ErrorAlert, formatBytes, useResource } from '../components/ui';
import { Link } from '../router';

const PAGE_SIZE = 60;

interface Filters {
  q: string;
  fileType: FileType | '';
  tagId: string;
  collectionId: string;
  accessLevel: AccessLevel | '';
}

const NO_FILTERS: Filters = { q: '', fileType: '', tagId: '', collectionId: '', accessLevel: '' };

export function LibraryPage() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [query, setQuery] = useState('');
  const [files, setFiles] = useState<MediaFile[]>([]);
  const [page, setPage] = useState<{ number: number; hasNext: boolean; count: number }>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const generation = useRef(0);
  const sentinel = useRef<HTMLDivElement>(null);

  // Typing settles for a moment before it becomes a search, so each keystroke does not cost a request.
  useEffect(() => {
    const timer = setTimeout(() => setFilters((current) => ({ ...current, q: query.trim() })), 250);
    return () => clearTimeout(timer);
  }, [query]);

  const load = async (pageNumber: number) => {
    const mine = pageNumber === 1 ? ++generation.current : generation.current;
    setLoading(true);
    setError(undefined);
    try {
      const result = await call(
        api.GET('/api/files', {
          params: {
            query: {
              page: pageNumber,
              pageSize: PAGE_SIZE,
              q: filters.q || undefined,
              fileType: filters.fileType ? [filters.fileType] : undefined,
              tagIds: filters.tagId ? [filters.tagId] : undefined,
              collectionIds: filters.collectionId ? [filters.collectionId] : undefined,
              accessLevel: filters.accessLevel ? [filters.accessLevel] : undefined,
            },
          },
        }),
      );
      if (mine !== generation.current) return;
      setFiles((previous) => (pageNumber === 1 ? result.results : [...previous, ...result.results]));
      setPage({ number: result.page, hasNext: result.hasNext, count: result.count });
    } catch (failure) {
      if (mine === generation.current) setError(failure);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  };

  useEffect(() => {
    void load(1);
  }, [filters]);

  const loadMore = () => {
    if (page?.hasNext && !loading) void load(page.number + 1);
  };

  // Infinite scroll: the next page loads when the end of the list comes into view (the button does the same).
  useEffect(() => {
    const target = sentinel.current;
    if (!target || !page?.hasNext) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    });
    observer.observe(target);
    return () => observer.disconnect();
  });

  return (
    <>
      <h1>Library</h1>
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label>
          Search
          <input type="search" value={query} onChange={(event) => setQuery(event.target.value)} />
        </label>
        <FilterSelects filters={filters} onChange={(next) => setFilters((current) => ({ ...current, ...next }))} />
      </form>
      <ErrorAlert error={error} />
      <p className="muted" aria-live="polite">
        {page ? `${page.count} ${page.count === 1 ? 'file' : 'files'}` : ''}
      </p>
      <ul className="grid" aria-label="Files" aria-busy={loading}>
        {files.map((file) => (
          <li key={file.id} className="card">
            <Thumbnail file={file} kind="files" alt={file.title} />
            <Link href={`/files/${file.id}`}>{file.title}</Link>
            <span className="muted small">
              {file.fileType} · {formatBytes(file.fileSize)} · {file.accessLevel}
            </span>
          </li>
        ))}
      </ul>
      {page && files.length === 0 && !loading && <p>No files match.</p>}
      <div ref={sentinel} />
      {page?.hasNext && (
        <button type="button" onClick={loadMore} disabled={loading}>
          Load more
        </button>
      )}
    </>
  );
}

function FilterSelects({ filters, onChange }: { filters: Filters; onChange: (next: Partial<Filters>) => void }) {
  const tags = useResource(() => call(api.GET('/api/tags', { params: { query: { pageSize: 100 } } })), 'tags');
  const collections = useResource(
    () => call(api.GET('/api/collections', { params: { query: { pageSize: 100 } } })),
    'collections',
  );
  return (
    <>
      <label>
        Type
        <select
          value={filters.fileType}
          onChange={(event) => onChange({ fileType: event.target.value as FileType | '' })}
        >
          <option value="">Any type</option>
          {FILE_TYPES.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tag
        <select value={filters.tagId} onChange={(event) => onChange({ tagId: event.target.value })}>
          <option value="">Any tag</option>
          {tags.data?.results.map((tag) => (
            <option key={tag.id} value={tag.id}>
              {tag.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Collection
        <select value={filters.collectionId} onChange={(event) => onChange({ collectionId: event.target.value })}>
          <option value="">Any collection</option>
          {collections.data?.results.map((collection) => (
            <option key={collection.id} value={collection.id}>
              {collection.title}
            </option>
          ))}
        </select>
      </label>
      <label>
        Access level
        <select
          value={filters.accessLevel}
          onChange={(event) => onChange({ accessLevel: event.target.value as AccessLevel | '' })}
        >
          <option value="">Any access level</option>
          {ACCESS_LEVELS.map((level) => (
            <option key={level} value={level}>
              {level}
            </option>
          ))}
        </select>
      </label>
      <ErrorAlert error={tags.error ?? collections.error} />
    </>
  );
}
