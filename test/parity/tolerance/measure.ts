// Measures how far our scores drift from the committed Python fixtures across the execution paths
// ONNX Runtime can take on this machine: graph optimisation level, intra-op threads, batch
// composition, and (run under qemu-user with another CPU model, see README.md) the CPU kernels.
// Prints one line per path and the largest deviation; the numbers behind SCORE_TOLERANCE.
//
//   node --import tsx test/parity/tolerance/measure.ts [--suites span,token,bi]
//     [--graph disabled,basic,extended,all] [--threads 1,2] [--batch alone,gliner,beside] [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { GraphOptimization } from '../../../src/model/session.js';
import { splitWords } from '../../../src/inference/words.js';
import { groupComparisons, type Composition } from '../adapter.js';
import { openSuite, plainGroups, type SuiteName } from '../suites.js';
import { SCORE_TOLERANCE } from '../tolerance.js';

const { values } = parseArgs({
  options: {
    suites: { type: 'string', default: 'span,token,bi' },
    graph: { type: 'string', default: 'disabled,basic,extended,all' },
    threads: { type: 'string', default: '1,2' },
    batch: { type: 'string', default: 'alone,gliner,beside' },
    json: { type: 'string' },
  },
});
const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');

interface PathResult {
  suite: SuiteName; graph: GraphOptimization; threads: number; batch: Composition;
  entities: number; maxDeviation: number; explained: string[]; problems: string[]; seconds: number;
}

const COMPANION_WORDS = 120;
const cpu = process.env.QEMU_CPU === undefined ? 'native' : `qemu-user -cpu ${process.env.QEMU_CPU}`;
console.log(`CPU path: ${cpu}; tolerance under test ${SCORE_TOLERANCE}`);
const results: PathResult[] = [];
for (const suite of list(values.suites) as SuiteName[]) {
  const groups = plainGroups(suite);
  for (const graph of list(values.graph) as GraphOptimization[]) {
    for (const threads of list(values.threads).map(Number)) {
      const open = await openSuite(suite, { graphOptimization: graph, intraOpThreads: threads });
      try {
        // The `beside` composition's neighbour: the longest text of at most COMPANION_WORDS words, so
        // most rows are padded (a 384-word neighbour would only make the run 25 times longer).
        const oneRow = groups.flatMap((g) => g.texts).filter((t) => splitWords(t).length <= COMPANION_WORDS);
        const companion = oneRow.reduce((a, b) => (splitWords(b).length > splitWords(a).length ? b : a), '');
        for (const batch of list(values.batch) as Composition[]) {
          const began = process.hrtime.bigint();
          const r: PathResult = { suite, graph, threads, batch, entities: 0, maxDeviation: 0, explained: [], problems: [], seconds: 0 };
          for (const group of groups) {
            const comparisons = await groupComparisons(open.runner, group, batch, companion);
            comparisons.forEach((c, i) => {
              r.entities += group.expected[i]?.length ?? 0;
              r.maxDeviation = Math.max(r.maxDeviation, c.maxDeviation);
              r.explained.push(...c.explained.map((e) => `${group.id} text ${i}: ${e}`));
              r.problems.push(...c.problems.map((p) => `${group.id} text ${i}: ${p}`));
            });
          }
          r.seconds = Number(process.hrtime.bigint() - began) / 1e9;
          results.push(r);
          console.log(`${suite.padEnd(5)} graph=${graph.padEnd(8)} threads=${threads} batch=${batch.padEnd(6)} entities=${r.entities} max|Δscore|=${r.maxDeviation.toExponential(2)} explained=${r.explained.length} problems=${r.problems.length} (${r.seconds.toFixed(1)} s)`);
          for (const line of [...r.explained, ...r.problems]) console.log(`    ${line}`);
        }
      } finally {
        await open.close();
      }
    }
  }
}
const worst = results.reduce((a, b) => (b.maxDeviation > a.maxDeviation ? b : a));
console.log(`largest |Δscore| on ${cpu}: ${worst.maxDeviation.toExponential(3)} (${worst.suite}, graph=${worst.graph}, threads=${worst.threads}, batch=${worst.batch}); problems at ${SCORE_TOLERANCE}: ${results.reduce((n, r) => n + r.problems.length, 0)}`);
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ cpu, tolerance: SCORE_TOLERANCE, results }, null, 2)}\n`);
