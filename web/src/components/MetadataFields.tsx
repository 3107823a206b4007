import { api, call } from '../api/client';
import { ACCESS_LEVELS, type AccessLevel } from '../api/types';
import { ErrorAlert, formText, useResource } from './ui';

export interface MetadataValues {
  title: string;
  description: string;
  accessLevel: AccessLevel;
  tagIds: string[];
  collectionIds: string[];
}

/** The fields a media file's metadata is edited with (file page) and first given with (approval). */
export function MetadataFields({ initial }: { initial: MetadataValues }) {
  const tags = useResource(() => call(api.GET('/api/tags', { params: { query: { pageSize: 100 } } })), 'tags');
  const collections = useResource(
    () => call(api.GET('/api/collections', { params: { query: { pageSize: 100 } } })),
    'collections',
  );
  return (
    <>
      <label>
        Title
        <input name="title" defaultValue={initial.title} required maxLength={255} autoFocus />
      </label>
      <label>
        Description
        <textarea name="description" defaultValue={initial.description} rows={3} />
      </label>
      <label>
        Access level
        <select name="accessLevel" defaultValue={initial.accessLevel}>
          {ACCESS_LEVELS.map((level) => (
            <option key={level} value={level}>
              {level}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Tags</legend>
        {tags.data && <input type="hidden" name="tagsShown" value="1" />}
        <ErrorAlert error={tags.error} />
        {tags.data?.results.length === 0 && <span className="muted">No tags yet.</span>}
        {tags.data?.results.map((tag) => (
          <label key={tag.id} className="check">
            <input type="checkbox" name="tagIds" value={tag.id} defaultChecked={initial.tagIds.includes(tag.id)} />
            {tag.name}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Collections</legend>
        {collections.data && <input type="hidden" name="collectionsShown" value="1" />}
        <ErrorAlert error={collections.error} />
        {collections.data?.results.length === 0 && <span className="muted">No collections yet.</span>}
        {collections.data?.results.map((collection) => (
          <label key={collection.id} className="check">
            <input
              type="checkbox"
              name="collectionIds"
              value={collection.id}
              defaultChecked={initial.collectionIds.includes(collection.id)}
            />
            {collection.title}
          </label>
        ))}
      </fieldset>
    </>
  );
}

/** The form's values; tags and collections only once their choices were shown (else they would be cleared). */
export function readMetadataForm(
  form: HTMLFormElement,
): Pick<MetadataValues, 'title' | 'description' | 'accessLevel'> & Partial<MetadataValues> {
  const data = new FormData(form);
  return {
    title: formText(data, 'title').trim(),
    description: formText(data, 'description'),
    accessLevel: formText(data, 'accessLevel') as AccessLevel,
    ...(data.has('tagsShown') ? { tagIds: data.getAll('tagIds').map(String) } : {}),
    ...(data.has('collectionsShown') ? { collectionIds: data.getAll('collectionIds').map(String) } : {}),
  };
}
