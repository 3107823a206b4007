import { api, call } from '../api/client';
import type { Tag } from '../api/types';
import { TaxonomyPage, type TaxonomyOperations } from './Taxonomy';

const operations: TaxonomyOperations<Tag> = {
  list: () => call(api.GET('/api/tags', { params: { query: { pageSize: 100 } } })),
  create: (name) => call(api.POST('/api/tags', { body: { name } })),
  rename: (id, name) => call(api.PATCH('/api/tags/{id}', { params: { path: { id } }, body: { name } })),
  remove: (id) => call(api.DELETE('/api/tags/{id}', { params: { path: { id } } })),
};

export default function TagsPage() {
  return <TaxonomyPage heading="Tags" noun="tag" field="name" fieldLabel="Name" operations={operations} />;
}
