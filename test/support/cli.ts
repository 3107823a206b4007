/**
 * The CLI as scripts use it: a child process (`node --import register-ts.mjs src/cli/main.ts …`, no build needed)
 * with exactly the environment given. `done` answers its exit code, output, and the last stdout line as JSON
 * (`--json` prints one document) or `{}`.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', './test/support/register-ts.mjs', 'src/cli/main.ts', ...args], {
    cwd: process.cwd(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      } catch {
        // Not JSON output.
      }
      resolve({ code, stdout, stderr, json });
    }),
  );
  return { child, done };
}
