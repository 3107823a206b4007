import type { ValueTransformer } from 'typeorm';

/** PostgreSQL returns bigint as a string; sizes and counters fit comfortably in a JS number (2^53). */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

export const ACCESS_LEVELS = ['public', 'members', 'staff', 'private'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export const FILE_TYPES = ['image', 'document', 'video', 'audio', 'archive', 'other'] as const;
export type FileType = (typeof FILE_TYPES)[number];

export const PENDING_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type PendingStatus = (typeof PENDING_STATUSES)[number];
