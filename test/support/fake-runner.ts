// A fake model runner for engine tests: every capitalised word is an entity of the row's first
// label (score 0.9), a capitalised pair is one span of the second label (score 0.95). Implements
// the same ModelRunner interface as OnnxRunner and passes the same contract suite.
import type { SpanCandidate } from '../../src/inference/decode.js';
import type { GlinerConfig } from '../../src/model/gliner-config.js';
import type { RowTask } from '../../src/worker/messages.js';
import type { ModelRunner, RunOutput } from '../../src/worker/onnx-runner.js';

const capital = (word: string | undefined): boolean => word !== undefined && /^\p{Lu}/u.test(word);

export class FakeRunner implements ModelRunner {
  readonly config: GlinerConfig = { modelName: 'fake', spanMode: 'markerV0', maxWidth: 12, maxLen: 384, entToken: '<<ENT>>', sepToken: '<<SEP>>', maxTypes: 25 };
  calls = 0;

  run(rows: readonly RowTask[]): Promise<RunOutput> {
    this.calls++;
    const out = rows.map((row) => {
      const spans: SpanCandidate[] = [];
      row.words.forEach((word, i) => {
        if (!capital(word)) return;
        if (row.threshold < 0.9) spans.push({ start: i, end: i, label: 0, score: 0.9 });
        if (row.labels.length > 1 && capital(row.words[i + 1]) && row.threshold < 0.95) spans.push({ start: i, end: i + 1, label: 1, score: 0.95 });
      });
      return { spans, tokens: row.words.length + 2 };
    });
    const longest = Math.max(0, ...out.map((r) => r.tokens));
    return Promise.resolve({ rows: out, paddedTokens: longest * rows.length, timings: { preprocessSeconds: 0, inferenceSeconds: 0.001, postprocessSeconds: 0 } });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
