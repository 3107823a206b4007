import { Injectable } from '@nestjs/common';
import { isAdmin, type AuthenticatedUser } from '../../auth/authenticated-user.js';
import { toPage, type Page } from '../../common/pagination.js';
import { MediaFileListQueryDto } from '../dto/library.dto.js';
import { CollectionsRepository } from '../repositories/collections.repository.js';
import { MediaFileViewsRepository, type MediaFileViewRow } from '../repositories/media-file-views.repository.js';
import { MAX_PREFIX_TERMS, SearchRepository } from '../repositories/search.repository.js';
import { planSearch, type PrefixExpansions, type SearchWord, type TermsSearchPlan } from '../search/search-planner.js';
import type { MediaFileView } from '../views.js';

/** Beyond this many term rows a page reads the whole match stream rather than a longer prefix of it. */
const MAX_STREAM_LIMIT = 50_000;

/** What a terms page tells beside its rows: term rows read, and distinct files among them. */
interface StreamCounts {
  streamed: string;
  files: string;
}

type PageReader = ReturnType<MediaFileViewsRepository['pageReader']>;

/**
 * `GET /api/files`: the library as the frontend browses it. Visibility by access level is always part of the SQL
 * (`readableCondition`), so counts and pages only ever contain what the caller may see. The SQL is the planner's
 * (`search/search-planner.ts`); this reads the query's words, runs the plan, and reads further when a page from the
 * terms index needs more of its stream.
 */
@Injectable()
export class LibrarySearchService {
  constructor(
    private readonly search: SearchRepository,
    private readonly views: MediaFileViewsRepository,
    private readonly collections: CollectionsRepository,
  ) {}

  async list(query: MediaFileListQueryDto, user?: AuthenticatedUser): Promise<Page<MediaFileView>> {
    if (query.collectionIds?.length && !isAdmin(user)) {
      // A collection the caller may not see does not exist for them: filtering by it must not tell which of their
      // files sit in it.
      const readable = await this.collections.readableIds(query.collectionIds, user);
      if (readable.length === 0) return toPage([], 0, query);
      query = Object.assign(new MediaFileListQueryDto(), query, { collectionIds: readable });
    }
    const { words, expansions } = query.q ? await this.searchWords(query.q) : { words: [], expansions: undefined };
    const plan = planSearch(query, words, user, expansions);
    // The count runs beside the page on a second connection: two cores count and rank at once.
    const count =
      plan.kind === 'media-rows' && words.length === 0 && summarisable(query)
        ? this.search.countFromSummary(query, user)
        : this.search.count(plan.count.sql, plan.count.values);
    const read = this.views.pageReader(plan.params, user);
    const page = plan.kind === 'terms' ? this.termsPage(plan, read) : read(plan.pageSql, plan.pageOrder);
    const [rows, total] = await Promise.all([page, count]);
    return toPage(await this.views.views(rows, user), total, query);
  }

  /**
   * A page from the terms index: the first rows of the match stream, enough for the page when each file matches
   * once or twice (the usual case); read further when they were not (see `TermsSearchPlan`).
   */
  private async termsPage(plan: TermsSearchPlan, read: PageReader): Promise<MediaFileViewRow[]> {
    let streamLimit: number | undefined = plan.wanted * 2 + 20;
    for (;;) {
      const rows: Array<MediaFileViewRow & StreamCounts> = await read<StreamCounts>(
        plan.pageSql(streamLimit),
        plan.pageOrder,
      );
      const [first] = rows;
      if (streamLimit === undefined || (!first && plan.wanted === plan.pageSize)) return rows;
      if (first && (Number(first.files) >= plan.wanted || Number(first.streamed) < streamLimit)) return rows;
      // Too few files in this much of the stream, or an empty page that may lie past the last match: read further.
      streamLimit = first && streamLimit * 8 <= MAX_STREAM_LIMIT ? streamLimit * 8 : undefined;
    }
  }

  /**
   * The words of `q`, each with the patterns that satisfy it: the word itself (as a word or the start of one), and,
   * when it is neither a word of the library nor the start of one (a typo, or the middle of a word), the library's
   * words most similar to it or containing it. Those come from the small `search_words` table through its trigram
   * index, so trigram matching never scans media rows. Known words are not widened: a typo tolerance that also
   * fired on correct words would bury the exact matches under neighbours. No words when `q` has no letter or digit.
   *
   * With them, the terms of the library each word starts (a prefix read term by term, see `PrefixExpansions`); a
   * prefix with more than MAX_PREFIX_TERMS of them is left a range.
   */
  private async searchWords(q: string): Promise<{ words: SearchWord[]; expansions: PrefixExpansions }> {
    const rows = await this.search.words(q);
    return {
      words: rows.map(({ token, alternatives }) => [
        { text: token, prefix: token.length >= 2, factor: 3 },
        ...alternatives.map((word) => ({ text: word, prefix: false, factor: 1 })),
      ]),
      expansions: new Map(
        rows.flatMap(({ token, expansion }) =>
          expansion === null ? [] : [[token, expansion.length > MAX_PREFIX_TERMS ? undefined : expansion] as const],
        ),
      ),
    };
  }
}

/** Without filters beyond file type and access level, the trigger-kept `media_file_counts` answers the count. */
function summarisable(query: MediaFileListQueryDto): boolean {
  return (
    !query.tagIds?.length &&
    !query.collectionIds?.length &&
    !query.createdAfter &&
    !query.createdBefore &&
    !query.takenAfter &&
    !query.takenBefore &&
    query.minSize === undefined &&
    query.maxSize === undefined
  );
}
