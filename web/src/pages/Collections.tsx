import { api, call } from '../api/client';
import type { Collection } from '../api/types';
import { TaxonomyPage, type TaxonomyOperations } from './Taxonomy';

const operations: TaxonomyOperations<Collection> = {
  list: () => call(api.GET('/api/collections', { params: { query: { pageSize: 100 } } })),
  // The API's default, said explicitly (a generator may make defaulted fields required).
  create: (title) => call(api.POST('/api/collections', { body: { title, accessLevel: 'members' } })),
  // A rename sends the title only: sending an access level would change it. (A generator that makes defaulted
  // fields required types this body wrongly, hence the widened type.)
  rename: (id, title) =>
    call(
      api.PATCH('/api/collections/{id}', {
        params: { path: { id } },
        body: { title } as never,
      }),
    ),
  remove: (id) => call(api.DELETE('/api/collections/{id}', { params: { path: { id } } })),
};

export default function CollectionsPage() {
  return (
    <TaxonomyPage heading="Collections" noun="collection" field="title" fieldLabel="Title" operations={operations} />
  );
}
