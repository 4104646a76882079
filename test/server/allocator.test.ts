// The allocator the CPU image runs the server under (jemalloc, preloaded), on the real server: the
// server notices it is loaded and CPU_MEM_ARENA=auto turns ONNX Runtime's arena off, so a long
// text's memory can go back; under plain glibc (no fixed mmap threshold) auto keeps the arena, as
// freed memory would stay in glibc's heaps anyway (bench/RESULTS.md, "Memory").
import { afterAll, describe, expect, it } from 'vitest';
import { JEMALLOC } from '../../bench/memory.js';
import { startServer, type RunningServer } from '../support/server.js';
import { TEST_MODEL } from '../support/model.js';
import { skipWithout } from '../support/tools.js';

const missing = skipWithout('allocator', [{ tool: 'libjemalloc.so.2', present: JEMALLOC !== undefined, install: 'apt-get install -y libjemalloc2' }]);

const started: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function memoryLine(env: Record<string, string>): Promise<{ srv: RunningServer; line: Record<string, unknown> | undefined }> {
  const srv = await startServer({ env: { MODEL: TEST_MODEL, RATE_LIMIT_PER_SECOND: '0', WORKERS: '1', INTRA_OP_THREADS: '1', SOLO_SESSION: 'off', ...env } });
  started.push(srv);
  return { srv, line: srv.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('memory: allocator')) };
}

describe.skipIf(missing)('the allocator and the arena', () => {
  it('under a preloaded jemalloc, CPU_MEM_ARENA=auto turns the arena off, and the server answers', async () => {
    const { srv, line } = await memoryLine({ LD_PRELOAD: JEMALLOC ?? '', MALLOC_CONF: 'background_thread:true' });
    expect(line).toMatchObject({ allocator: 'jemalloc', cpuArena: false });
    const response = await fetch(`${srv.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Ada Lovelace was born in London.', labels: ['person', 'city'] }) });
    expect(response.status).toBe(200);
  });

  it('under glibc with its default threshold, auto keeps the arena; CPU_MEM_ARENA=on keeps it under jemalloc too', async () => {
    // The test's own environment decides glibc's threshold (an empty MALLOC_MMAP_THRESHOLD_ would fix it at 0).
    const fixed = process.env.MALLOC_MMAP_THRESHOLD_ !== undefined;
    const glibc = await memoryLine({ LD_PRELOAD: '' });
    expect(glibc.line).toMatchObject(fixed ? { allocator: 'glibc (fixed mmap threshold)', cpuArena: false } : { allocator: 'glibc', cpuArena: true });
    const forced = await memoryLine({ LD_PRELOAD: JEMALLOC ?? '', CPU_MEM_ARENA: 'on' });
    expect(forced.line).toMatchObject({ allocator: 'jemalloc', cpuArena: true });
  });
});
