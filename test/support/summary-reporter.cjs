/**
 * Prints one plain line, last in the run's output, for CI to read:
 *   Tests: <passed> passed, <failed> failed[, <skipped> skipped]
 * Jest adds its own summary reporter after the configured ones and may print warnings after the reporters (open
 * handles, workers that did not exit), so the line is written when the process exits. In watch mode there is no
 * exit per run: it is written right after Jest's summary instead.
 */
class SummaryReporter {
  constructor(globalConfig) {
    this.watching = Boolean(globalConfig && (globalConfig.watch || globalConfig.watchAll));
    this.line = undefined;
  }

  onRunComplete(_testContexts, results) {
    const parts = [`${results.numPassedTests} passed`, `${results.numFailedTests} failed`];
    if (results.numPendingTests > 0) parts.push(`${results.numPendingTests} skipped`);
    const line = `Tests: ${parts.join(', ')}\n`;
    if (this.watching) {
      setImmediate(() => process.stdout.write(line));
      return;
    }
    if (this.line === undefined) process.once('exit', () => process.stdout.write(this.line));
    this.line = line;
  }
}

module.exports = SummaryReporter;
