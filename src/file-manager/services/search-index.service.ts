import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../database/transactions.js';
import { SearchRepository, type SearchIndexDrift } from '../repositories/search.repository.js';

export { SEARCH_INDEX_DRIFT_SQL, type SearchIndexDrift } from '../repositories/search.repository.js';

export interface SearchIndexReport {
  missingTerms: number;
  staleTerms: number;
  miscountedCounters: number;
  /** The first differences found (at most 20), to say what is wrong. */
  examples: SearchIndexDrift[];
}

/**
 * Upkeep of the search index. Triggers keep the terms and the counters' changes right in every transaction; this
 * folds the appended counter changes into the counters (so counts keep reading a few rows per term), and checks and
 * repairs the index against the rows for operators (`npx mediavault search:check [--repair]`), the way
 * verify-integrity checks the stored objects.
 */
@Injectable()
export class SearchIndexService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly search: SearchRepository,
  ) {}

  /** Moves the pending counter changes into the counters, in one statement; answers how many were folded. */
  foldCounts(): Promise<number> {
    return this.search.foldCounts();
  }

  /** Compares the whole index with the rows (reads every term and every active file: minutes at millions). */
  async check(): Promise<SearchIndexReport> {
    return report(await this.search.drift());
  }

  /**
   * Re-derives the terms of every file whose terms differ from its row, and recounts every counter from the terms;
   * answers what was wrong before (nothing is written when nothing was). Online: the full comparison runs without
   * locks; then, in one short transaction, the drifted files are locked (as any change of them would be) and
   * re-derived, and appending counter changes is blocked while the counters are recounted (seconds at a million
   * files: approvals wait meanwhile), so a change committed during the repair is counted exactly once.
   */
  async repair(): Promise<SearchIndexReport> {
    const drift = await this.search.drift();
    if (drift.length === 0) return report(drift);
    const files = [...new Set(drift.map((row) => row.mediaFileId).filter((id): id is string => id !== null))].sort();
    await inTransaction(this.dataSource, async (runner) => {
      if (files.length) await this.search.rederiveTerms(runner, files);
      await this.search.recount(runner);
    });
    return report(drift);
  }
}

const EXAMPLES = 20;

function report(drift: SearchIndexDrift[]): SearchIndexReport {
  const count = (kind: SearchIndexDrift['kind']) => drift.filter((row) => row.kind === kind).length;
  return {
    missingTerms: count('missing'),
    staleTerms: count('stale'),
    miscountedCounters: count('miscounted'),
    examples: drift.slice(0, EXAMPLES),
  };
}
