import { registerDecorator, type ValidationOptions } from 'class-validator';
import { CronTime, validateCronExpression } from 'cron';

/**
 * When a maintenance job runs on each instance, parsed from `JOB_SCHEDULE_<JOB>`:
 * - `off` (or `disabled`): never scheduled (the admin endpoint and the CLI still run it);
 * - an interval `<n><unit>` with unit `s`, `m`, `h` or `d` (`90s`, `5m`, `6h`, `7d`), counted from start-up;
 * - a cron expression of 5 fields (or 6, with seconds first), e.g. `0 3 * * *` for 03:00 every day, server time.
 * Every instance keeps the schedule; the job's advisory lock lets one of them run at a time.
 */
export type JobSchedule =
  | { kind: 'off'; text: string }
  | { kind: 'interval'; text: string; intervalMs: number }
  | { kind: 'cron'; text: string; expression: string };

const INTERVAL = /^(\d+)\s*(s|m|h|d)$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** setInterval's ceiling (a 32-bit signed millisecond count, about 24.8 days). */
const MAX_INTERVAL_MS = 2_147_483_647;

export function parseJobSchedule(raw: string): JobSchedule {
  const text = raw.trim();
  if (/^(off|disabled|none)$/i.test(text)) return { kind: 'off', text: 'off' };
  const interval = INTERVAL.exec(text);
  if (interval) {
    const intervalMs = Number(interval[1]) * UNIT_MS[interval[2].toLowerCase()];
    if (intervalMs < 1000 || intervalMs > MAX_INTERVAL_MS) {
      throw new Error(`interval must be between 1s and 24d, got "${text}"`);
    }
    return { kind: 'interval', text, intervalMs };
  }
  const fields = text.split(/\s+/).length;
  const check = validateCronExpression(text);
  if ((fields === 5 || fields === 6) && check.valid) return { kind: 'cron', text, expression: text };
  throw new Error(
    `"${text}" is neither "off", an interval like 30s / 5m / 1h / 7d, nor a cron expression like "0 3 * * *"` +
      (fields === 5 || fields === 6 ? ` (${check.error?.message ?? 'invalid cron expression'})` : ''),
  );
}

/** The next time a cron schedule fires after `from`. */
export function nextCronRun(expression: string, from = new Date()): Date {
  const time = new CronTime(expression);
  return time.getNextDateFrom(from).toJSDate();
}

/** class-validator decorator for the `JOB_SCHEDULE_*` variables. */
export function IsJobSchedule(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isJobSchedule',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string') return false;
          try {
            parseJobSchedule(value);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage(args) {
          try {
            parseJobSchedule(String(args?.value));
            return '';
          } catch (error) {
            return (error as Error).message;
          }
        },
      },
    });
}
