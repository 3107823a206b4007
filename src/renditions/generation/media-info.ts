/**
 * What we extract from a content, shown in the views as `mediaInfo`. Every field is optional: a PNG has no
 * camera, a PDF no duration. `gps` is sensitive (it locates a person's home): the views show it only to the
 * uploader and admins, and renditions never carry it (their metadata is stripped).
 */
export interface MediaInfo {
  /** Displayed size, EXIF orientation applied (a portrait photo stored landscape reports portrait). */
  width?: number;
  height?: number;
  durationSeconds?: number;
  pageCount?: number;
  videoCodec?: string;
  audioCodec?: string;
  /** When the picture was taken, ISO 8601; camera clocks without a zone are read as UTC. */
  takenAt?: string;
  camera?: { make?: string; model?: string };
  lens?: string;
  exposure?: { exposureTime?: number; fNumber?: number; iso?: number; focalLength?: number };
  gps?: { latitude: number; longitude: number; altitude?: number };
}

/** Drops empty objects and undefined fields so a stored `mediaInfo` has only what was found. */
export function compactMediaInfo(info: MediaInfo): MediaInfo {
  const compact = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const entries = Object.entries(value)
      .map(([key, inner]) => [key, compact(inner)] as const)
      .filter(([, inner]) => inner !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  };
  return (compact(info) as MediaInfo | undefined) ?? {};
}
