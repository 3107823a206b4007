import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { OtherProcessesCpu, RenderYield } from './render-yield.js';

/** A host whose other processes use `cores` (the specs set it as they go). */
function fakeHost(cores: number) {
  return {
    cores,
    sample: () => undefined,
    get coresInUse() {
      return this.cores;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RenderYield', () => {
  it('waits while other processes keep the host busy, and goes as soon as they calm down', async () => {
    const host = fakeHost(1.5);
    const gate = new RenderYield({ maxWaitMs: 10_000, busyCores: 0.5, pollMs: 10, otherProcesses: host });
    const waiting = gate.waitForQuiet();
    await sleep(200);
    host.cores = 0.2; // the worker's own storage and database requests: below the threshold
    const waited = await waiting;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(10_000);
  });

  it('does not wait on a quiet host', async () => {
    const gate = new RenderYield({ maxWaitMs: 10_000, busyCores: 0.5, pollMs: 10, otherProcesses: fakeHost(0.49) });
    expect(await gate.waitForQuiet()).toBe(0); // and so nothing to count in the yield metric
  });

  it('waits while this process serves requests, whatever the host', async () => {
    let active = 1;
    const gate = new RenderYield({
      maxWaitMs: 10_000,
      busyCores: 0.5,
      pollMs: 10,
      otherProcesses: fakeHost(0),
      activeRequests: () => active,
    });
    const waiting = gate.waitForQuiet();
    await sleep(150);
    active = 0;
    expect(await waiting).toBeGreaterThanOrEqual(140);
  });

  it('gives up waiting after maxWaitMs, so the queue still moves under constant load', async () => {
    const gate = new RenderYield({ maxWaitMs: 120, busyCores: 0.5, pollMs: 10, otherProcesses: fakeHost(4) });
    const waited = await gate.waitForQuiet();
    expect(waited).toBeGreaterThanOrEqual(115);
    expect(waited).toBeLessThan(1000);
  });

  it('waits no longer than the budget left (what the lane already waited before taking the job)', async () => {
    const gate = new RenderYield({ maxWaitMs: 60_000, busyCores: 0.5, pollMs: 10, otherProcesses: fakeHost(4) });
    const waited = await gate.waitForQuiet(() => false, 100);
    expect(waited).toBeGreaterThanOrEqual(95);
    expect(waited).toBeLessThan(1000);
    expect(await gate.waitForQuiet(() => false, 0)).toBe(0); // spent
  });

  it('stops waiting once cancelled (shutdown)', async () => {
    let stopping = false;
    const gate = new RenderYield({ maxWaitMs: 60_000, busyCores: 0.5, pollMs: 10, otherProcesses: fakeHost(4) });
    const waiting = gate.waitForQuiet(() => stopping);
    await sleep(50);
    stopping = true;
    expect(await waiting).toBeLessThan(10_000);
  });

  it('never waits when turned off (RENDITION_YIELD_SECONDS=0)', async () => {
    const gate = new RenderYield({
      maxWaitMs: 0,
      busyCores: 0.5,
      otherProcesses: fakeHost(4),
      activeRequests: () => 3,
    });
    expect(gate.enabled).toBe(false);
    expect(await gate.waitForQuiet()).toBe(0);
  });
});

describe('OtherProcessesCpu', () => {
  it('sees another process keeping a core busy (Linux /proc/stat)', async () => {
    const cpu = new OtherProcessesCpu();
    const spinner = spawn(process.execPath, ['-e', 'for (const end = Date.now() + 3000; Date.now() < end; );']);
    try {
      await sleep(300); // the spinner has started
      cpu.sample();
      await sleep(500);
      cpu.sample();
      expect(cpu.coresInUse).toBeGreaterThanOrEqual(0.5);
    } finally {
      spinner.kill();
      await once(spinner, 'exit');
    }
  });

  it("counts the host's busy time less this process's own", () => {
    let hostMs = 50_000;
    let ownMs = 7_000;
    let now = 1_000;
    const cpu = new OtherProcessesCpu({ hostBusyMs: () => hostMs, ownCpuMs: () => ownMs, now: () => now });
    cpu.sample();
    expect(cpu.coresInUse).toBe(0); // one sample is no interval yet
    // 1 s: the host was busy 1.6 core-seconds, 1.2 of them in this process (the worker's own render).
    hostMs += 1_600;
    ownMs += 1_200;
    now += 1_000;
    cpu.sample();
    expect(cpu.coresInUse).toBeCloseTo(0.4);
    // Next second: only this process ran (and the host's coarser ticks said a little less): nobody else.
    hostMs += 990;
    ownMs += 1_000;
    now += 1_000;
    cpu.sample();
    expect(cpu.coresInUse).toBe(0);
  });
});
