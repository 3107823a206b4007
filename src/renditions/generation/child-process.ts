import { spawn } from 'node:child_process';
import { RenditionFailure } from './rendition-failure.js';

export interface RunOptions {
  /** The process is killed (SIGKILL) when it runs longer than this. */
  timeoutMs: number;
  /** Killed as well when its standard output grows beyond this (a hostile file can't fill our memory). */
  maxStdoutBytes: number;
  /** Only the first bytes of standard error are kept: the header we parse comes first. */
  maxStderrBytes?: number;
  /** Called with the child's pid once it runs (lets specs see that a killed process is really gone). */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs a command without a shell, stdin closed, and bounds it in time and output. A process that overruns either
 * bound is killed and the call rejects with a `RenditionFailure`; a non-zero exit is *not* an error here (ffmpeg
 * exits 1 after printing what a probe needs), callers decide.
 */
export function runBounded(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const maxStderr = options.maxStderrBytes ?? 256 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let failure: RenditionFailure | undefined;
    const kill = (reason: string) => {
      failure ??= new RenditionFailure(reason);
      child.kill('SIGKILL');
    };
    const name = describe(command);
    const overran = () => kill(`${name} exceeded the time limit (${options.timeoutMs} ms)`);
    const timer = setTimeout(overran, options.timeoutMs);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxStdoutBytes) kill(`${name} wrote more than ${options.maxStdoutBytes} bytes`);
      else stdout.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < maxStderr) stderr += chunk.slice(0, maxStderr - stderr.length);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new RenditionFailure(`${name} could not start: ${error.message}`, { cause: error }));
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolve({ exitCode, stdout: Buffer.concat(stdout), stderr });
    });
  });
}

function describe(command: string): string {
  return command.split('/').pop() ?? command;
}
