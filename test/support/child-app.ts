import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export interface ChildApp {
  url: string;
  process: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Node options for a benchmark's child process from the variable `name` (space-separated), e.g.
 * `SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` to profile the server of a benchmark.
 */
export function nodeArgsFrom(name: string): string[] {
  return process.env[name]?.split(' ').filter(Boolean) ?? [];
}

/** Starts test/support/app-process.ts in its own Node process with `env` on top of this process's environment. */
export async function startChildApp(env: Record<string, string>): Promise<ChildApp> {
  const root = process.cwd();
  const child = spawn(
    process.execPath,
    [
      ...nodeArgsFrom('SERVER_NODE_ARGS'),
      '--import',
      './test/support/register-ts.mjs',
      join('test', 'support', 'app-process.ts'),
    ],
    {
      cwd: root,
      env: { ...process.env, ...env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /READY (\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`child app exited with ${code}: ${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
}
