import type { AuthenticatedUser } from '../../auth/authenticated-user.js';
import { MediaFileListQueryDto } from '../dto/library.dto.js';
import type { PrefixExpansions, SearchWord } from './search-planner.js';

/** Callers of the planner, one of each kind. */
export const ANONYMOUS = undefined;
export const MEMBER: AuthenticatedUser = {
  id: '00000000-0000-4000-8000-00000000000a',
  email: 'member@example.test',
  role: 'member',
};
export const ADMIN: AuthenticatedUser = {
  id: '00000000-0000-4000-8000-00000000000b',
  email: 'admin@example.test',
  role: 'admin',
};

export const TAG = '00000000-0000-4000-8000-0000000000c1';
export const COLLECTION = '00000000-0000-4000-8000-0000000000d1';

export function listQuery(fields: Partial<MediaFileListQueryDto>): MediaFileListQueryDto {
  return Object.assign(new MediaFileListQueryDto(), fields);
}

/** A word of `q` as `LibrarySearchService.searchWords` makes it: the word (a prefix from two letters), stand-ins. */
export function word(text: string, ...alternatives: string[]): SearchWord {
  return [
    { text, prefix: text.length >= 2, factor: 3 },
    ...alternatives.map((alternative) => ({ text: alternative, prefix: false, factor: 1 })),
  ];
}

export interface SearchCase {
  /** File name of its snapshot (`queries/<name>.sql`). */
  name: string;
  description: string;
  query: MediaFileListQueryDto;
  words: SearchWord[];
  expansions?: PrefixExpansions;
  user?: AuthenticatedUser;
}

/** Every kind of search the planner answers; their SQL is kept in `queries/` (see search-queries.spec.ts). */
export const SEARCH_CASES: SearchCase[] = [
  {
    name: 'browse-anonymous',
    description: 'no criteria, anonymous, newest first: the media rows, public files only',
    query: listQuery({}),
    words: [],
  },
  {
    name: 'browse-filtered-by-title',
    description: 'type, access level, dates and sizes, sorted by title, as a member: the media rows',
    query: listQuery({
      fileType: ['image', 'video'],
      accessLevel: ['members'],
      createdAfter: '2026-01-01T00:00:00Z',
      createdBefore: '2026-07-01T00:00:00Z',
      minSize: 100,
      maxSize: 10_000,
      ordering: 'title',
      page: 3,
      pageSize: 10,
    }),
    words: [],
    user: MEMBER,
  },
  {
    name: 'word-by-relevance',
    description: 'one word, by relevance, as a member: the terms index, the prefix spelled out, counted by counters',
    query: listQuery({ q: 'sun' }),
    words: [word('sun')],
    expansions: new Map([['sun', ['sun', 'sunset', 'sunrise']]]),
    user: MEMBER,
  },
  {
    name: 'word-prefix-range',
    description: 'one word whose prefix starts too many terms: read as one index range, counted by counters',
    query: listQuery({ q: 'ph' }),
    words: [word('ph')],
    expansions: new Map([['ph', undefined]]),
    user: ADMIN,
  },
  {
    name: 'word-with-corrections-by-date',
    description: 'a typo with two stand-ins, oldest first, filtered by type: the terms index, counted over the stream',
    query: listQuery({ q: 'sunsett', ordering: 'createdAt', fileType: ['image'] }),
    words: [word('sunsett', 'sunset', 'sunsets')],
    expansions: new Map([['sunsett', []]]),
    user: MEMBER,
  },
  {
    name: 'two-words-by-relevance',
    description: 'two words by relevance, as an admin: the media rows, the rank computed from the row',
    query: listQuery({ q: 'beach sun' }),
    words: [word('beach'), word('sun')],
    expansions: new Map([
      ['beach', ['beach']],
      ['sun', ['sun', 'sunset']],
    ]),
    user: ADMIN,
  },
  {
    name: 'word-by-downloads',
    description: 'one word sorted by downloads: the media rows (the terms do not carry the download count)',
    query: listQuery({ q: 'sun', ordering: '-downloadCount' }),
    words: [word('sun')],
    expansions: new Map([['sun', ['sun']]]),
    user: MEMBER,
  },
  {
    name: 'tag-by-date',
    description: 'one tag, oldest first, anonymous: the terms index (the tag is a term), counted by counters',
    query: listQuery({ tagIds: [TAG], ordering: 'createdAt' }),
    words: [],
  },
  {
    name: 'collection-with-type',
    description: 'one collection with a type filter: the terms index, counted over its terms',
    query: listQuery({ collectionIds: [COLLECTION], fileType: ['document'] }),
    words: [],
    user: MEMBER,
  },
  {
    name: 'tag-with-size',
    description: 'a tag and a size range: the media rows, the tag bitmap fenced (OFFSET 0) before the sort',
    query: listQuery({ tagIds: [TAG], minSize: 1_000 }),
    words: [],
    user: MEMBER,
  },
  {
    name: 'taken-range-by-date',
    description: 'capture-time range (date and offset date-time, made canonical UTC), newest first: the media rows',
    query: listQuery({ takenAfter: '2024-05-01', takenBefore: '2024-06-01T02:00:00+02:00' }),
    words: [],
    user: MEMBER,
  },
  {
    name: 'word-taken-after',
    description: 'one word and a capture-time bound: the media rows (the terms do not carry the capture time)',
    query: listQuery({ q: 'sun', takenAfter: '2020-01-01T00:00:00Z' }),
    words: [word('sun')],
    expansions: new Map([['sun', ['sun']]]),
    user: ADMIN,
  },
];
