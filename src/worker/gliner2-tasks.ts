// What a worker does with each schema-extraction task (gliner2-messages.ts), independent of the
// thread it runs on (pool workers and the in-process parity test call the same functions).
// A text of at most `chunkWords` words is one row answered as upstream's `extract`; a longer one is
// split into overlapping chunks, one row each, answered and merged as upstream's `extract_long`.
import { mergeChunks } from '../inference/gliner2/long.js';
import { fromJson, toJson, type PyDict } from '../inference/gliner2/py.js';
import { chunkText, splitGliner2Words } from '../inference/gliner2/words.js';
import { countCodePoints } from '../inference/words.js';
import type { Gliner2Runner } from './gliner2-runner.js';
import type { ExtractAnswerResult, ExtractBatchResult, ExtractBatchTask, ExtractChunking, ExtractMergeTask, ExtractPlan, ExtractPlanResult, ExtractPlanTask } from './gliner2-messages.js';

export function planExtractText(text: string, chunking: ExtractChunking): ExtractPlan {
  const words = splitGliner2Words(text);
  if (words.length <= chunking.chunkWords) {
    // One row: the whole text, as upstream's extract takes it (leading spaces and all).
    const whole = { utf16Start: 0, utf16End: text.length, startChar: 0, endChar: countCodePoints(text, 0, text.length), startWord: 0, endWord: words.length };
    return { long: false, chunks: [whole] };
  }
  return { long: true, chunks: chunkText(text, chunking.chunkWords, chunking.overlapWords, words) };
}

export function runExtractPlan(task: ExtractPlanTask): ExtractPlanResult {
  return { plans: task.texts.map((text) => planExtractText(text, task.chunking)) };
}

export async function runExtractBatch(runner: Gliner2Runner, task: ExtractBatchTask, workerId: number): Promise<ExtractBatchResult> {
  const output = await runner.run(task.rows.map((row) => ({
    text: row.text,
    schema: row.schema,
    threshold: row.threshold,
    ...(row.finish.kind === 'chunk' ? { maxWords: row.finish.maxWords } : {}),
    flags: row.finish.kind === 'answer' ? { includeConfidence: row.finish.includeConfidence, includeSpans: row.finish.includeSpans } : { includeConfidence: true, includeSpans: true },
  })));
  return { rows: output.rows.map((r) => ({ kind: 'extract' as const, json: toJson(r.result), tokens: r.tokens })), timings: output.timings, paddedTokens: output.paddedTokens, workerId };
}

export function runExtractMerge(task: ExtractMergeTask): ExtractAnswerResult {
  const chunks = task.chunks.map((c) => ({ startChar: c.startChar, result: fromJson(c.json) as PyDict }));
  return { json: toJson(mergeChunks(task.text, chunks, task.includeConfidence, task.includeSpans)) };
}
