import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Upkeep of the search index (migration 1764202100000-SearchTerms). Triggers keep the terms and the counters' changes
 * right in every transaction; this only folds the appended counter changes into the counters so counts keep reading
 * a few rows per term. Nothing depends on when it runs: a count adds the counters and the pending changes.
 */
@Injectable()
export class SearchIndexService {
  constructor(private readonly dataSource: DataSource) {}

  /** Moves the pending counter changes into the counters, in one statement; answers how many were folded. */
  async foldCounts(): Promise<number> {
    const [{ folded }] = (await this.dataSource.query(`SELECT media_search_fold_counts() AS folded`)) as Array<{ folded: string }>;
    return Number(folded);
  }
}
