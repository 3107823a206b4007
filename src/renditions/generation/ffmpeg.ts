import { createRequire } from 'node:module';
import { runBounded } from './child-process.js';
import type { MediaInfo } from './media-info.js';
import { RenditionFailure } from './rendition-failure.js';

/**
 * Video and audio through the ffmpeg binary that `@ffmpeg-installer/ffmpeg` ships inside its platform package
 * (a static build; its run bit is in the tarball, so it works with install scripts disabled). There is no
 * ffprobe in that package: the probe parses ffmpeg's own description of its input (`ffmpeg -i`), which has
 * been stable for a decade for the few fields we read.
 *
 * Hostile input: every run has a time limit and is killed past it; output is capped; only local files are
 * read (`-protocol_whitelist file`) and only plain media containers are parsed (`-format_whitelist`), so a
 * playlist or concat file can't make ffmpeg open other files or URLs.
 */
const DEMUXERS = [
  'mov,mp4,m4a,3gp,3g2,mj2',
  'matroska,webm',
  'avi',
  'mpeg',
  'mpegts',
  'flv',
  'asf',
  'ogg',
  'mp3',
  'wav',
  'flac',
  'aac',
  'aiff',
  'w64',
  'amr',
  'ac3',
  'eac3',
].join(',');

const SAFE_INPUT = ['-hide_banner', '-nostdin', '-protocol_whitelist', 'file', '-format_whitelist', DEMUXERS];

/** A poster frame is drawn at most this large; the image generator makes the renditions from it. */
const POSTER_BOX = 1600;

export interface FfmpegLimits {
  timeoutSeconds: number;
  /** Frames with more pixels are not decoded (ffmpeg's own `max_pixels`). */
  maxPixels?: number;
  /** Test hook: observe the child's pid. */
  onSpawn?: (pid: number) => void;
}

export interface Probe {
  info: MediaInfo;
  hasVideo: boolean;
}

let binary: string | undefined;

/** Resolved on first use, so a platform without a bundled ffmpeg still starts (and fails video renders only). */
export function ffmpegPath(): string {
  if (binary) return binary;
  try {
    const require = createRequire(import.meta.url);
    binary = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    return binary;
  } catch (error) {
    throw new RenditionFailure(`no ffmpeg binary for this platform: ${String(error)}`);
  }
}

export async function probeMedia(path: string, limits: FfmpegLimits): Promise<Probe> {
  const { stderr } = await runBounded(ffmpegPath(), [...SAFE_INPUT, '-i', path], {
    timeoutMs: limits.timeoutSeconds * 1000,
    maxStdoutBytes: 1024,
    onSpawn: limits.onSpawn,
  });
  return parseProbe(stderr);
}

/** The first frame of the first video stream, as PNG, scaled to fit the preview box. */
export async function posterFrame(path: string, limits: FfmpegLimits): Promise<Buffer> {
  const scale = `scale=w='min(${POSTER_BOX},iw)':h='min(${POSTER_BOX},ih)':force_original_aspect_ratio=decrease`;
  const { exitCode, stdout, stderr } = await runBounded(
    ffmpegPath(),
    [
      ...SAFE_INPUT,
      '-loglevel',
      'error',
      '-threads',
      '1',
      ...(limits.maxPixels ? ['-max_pixels', String(limits.maxPixels)] : []),
      '-i',
      path,
      '-map',
      '0:v:0',
      '-frames:v',
      '1',
      '-vf',
      scale,
      '-f',
      'image2pipe',
      '-c:v',
      'png',
      'pipe:1',
    ],
    { timeoutMs: limits.timeoutSeconds * 1000, maxStdoutBytes: 64 * 1024 * 1024, onSpawn: limits.onSpawn },
  );
  if (exitCode !== 0 || stdout.length === 0) {
    throw new RenditionFailure(`ffmpeg could not extract a frame: ${lastLine(stderr) ?? `exit code ${exitCode}`}`);
  }
  return stdout;
}

/** Reads ffmpeg's input description: `Duration: 00:00:02.02, …` and `Stream #0:0(und): Video: h264 …, 320x240`. */
export function parseProbe(stderr: string): Probe {
  const input = stderr.indexOf('Input #0');
  if (input < 0) throw new RenditionFailure(`ffmpeg could not read the file: ${lastLine(stderr) ?? 'no input found'}`);
  const description = stderr.slice(input);
  const info: MediaInfo = {};

  const duration = description.match(/Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/);
  if (duration) {
    info.durationSeconds = round(Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]));
  }

  const streams = description.split('\n').filter((line) => /^\s*Stream #0:\d+/.test(line));
  const video = streams.find((line) => /: Video: /.test(line) && !/\(attached pic\)/.test(line));
  const audio = streams.find((line) => /: Audio: /.test(line));
  if (video) {
    info.videoCodec = video.match(/: Video: ([\w-]+)/)?.[1];
    const size = video.match(/, (\d{1,5})x(\d{1,5})[\s,]/);
    if (size) {
      const rotated = Math.abs(rotation(description)) % 180 === 90;
      info.width = Number(size[rotated ? 2 : 1]);
      info.height = Number(size[rotated ? 1 : 2]);
    }
  }
  if (audio) info.audioCodec = audio.match(/: Audio: ([\w-]+)/)?.[1];
  if (!video && !audio) throw new RenditionFailure('ffmpeg found no audio or video stream');
  return { info, hasVideo: Boolean(video) };
}

/** Phone videos are stored sideways with a rotation flag; ffmpeg applies it when it draws the frame. */
function rotation(description: string): number {
  const tag = description.match(/^\s*rotate\s*:\s*(-?\d+)/m);
  if (tag) return Number(tag[1]);
  const matrix = description.match(/displaymatrix: rotation of (-?[\d.]+) degrees/);
  return matrix ? Math.round(Number(matrix[1])) : 0;
}

function lastLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .pop()
    ?.slice(0, 300);
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
