import { useState } from 'react';
import { api, call } from '../api/client';
import { ErrorAlert, formatBytes, formatDate, Loading, useResource } from '../components/ui';

/** The jobs an admin may start by hand (POST /api/admin/maintenance/:job); the others only run on schedule. */
const RUNNABLE = [
  'expire-pending',
  'purge-trash',
  'collect-garbage',
  'verify-integrity',
  'generate-renditions',
] as const;
type RunnableJob = (typeof RUNNABLE)[number];

export default function JobsPage() {
  const jobs = useResource(() => call(api.GET('/api/admin/jobs')), 'jobs');
  const storage = useResource(() => call(api.GET('/api/admin/storage')), 'storage');
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<string>();
  const [running, setRunning] = useState<string>();

  const runNow = async (job: RunnableJob) => {
    setError(undefined);
    setResult(undefined);
    setRunning(job);
    try {
      // generate-renditions has an operation of its own (its answer has its own schema).
      const answer =
        job === 'generate-renditions'
          ? await call(api.POST('/api/admin/maintenance/generate-renditions'))
          : await call(api.POST('/api/admin/maintenance/{job}', { params: { path: { job } } }));
      setResult(`${job}: ${summarize(answer)}`);
      jobs.reload();
      storage.reload();
    } catch (failure) {
      setError(failure);
    } finally {
      setRunning(undefined);
    }
  };

  return (
    <>
      <h1>Jobs</h1>
      <ErrorAlert error={error ?? jobs.error ?? storage.error} />
      {result && <p role="status">{result}</p>}
      <section aria-labelledby="storage-heading">
        <h2 id="storage-heading">Storage</h2>
        {storage.data ? (
          <dl className="meta figures">
            <dt>Objects</dt>
            <dd>{storage.data.objects}</dd>
            <dt>Bytes</dt>
            <dd>{formatBytes(storage.data.bytes)}</dd>
            <dt>Referenced</dt>
            <dd>{storage.data.referencedObjects}</dd>
            <dt>Orphans</dt>
            <dd>{storage.data.orphanObjects}</dd>
            <dt>Missing</dt>
            <dd>{storage.data.missingObjects}</dd>
          </dl>
        ) : (
          !storage.error && <Loading />
        )}
      </section>
      <section aria-labelledby="jobs-heading">
        <h2 id="jobs-heading">Maintenance jobs</h2>
        {jobs.loading && !jobs.data && <Loading />}
        <ul className="rows" aria-label="Jobs">
          {jobs.data?.jobs.map((job) => (
            <li key={job.job} className="row">
              <div className="row-main">
                <span className="name">{job.job}</span>
                <span className="muted small">
                  schedule {job.schedule}
                  {job.enabled ? '' : ' (not scheduled here)'} · last run{' '}
                  {job.lastRun ? `${formatDate(job.lastRun.finishedAt)}: ${job.lastRun.outcome}` : 'never'}
                  {job.running ? ' · running now' : ''}
                </span>
              </div>
              {(RUNNABLE as readonly string[]).includes(job.job) && (
                <span className="row-actions">
                  <button
                    type="button"
                    disabled={running !== undefined}
                    onClick={() => void runNow(job.job as RunnableJob)}
                  >
                    Run now
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

function summarize(answer: object): string {
  const parts = Object.entries(answer)
    .filter(([key, value]) => key !== 'job' && (typeof value === 'number' || typeof value === 'string'))
    .map(([key, value]) => `${key} ${String(value)}`);
  return parts.length ? parts.join(', ') : 'done';
}
