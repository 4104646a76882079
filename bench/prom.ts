// Reading the server's own view from /metrics: parse the Prometheus text format, diff two scrapes
// taken around a benchmark point, and estimate quantiles from histogram buckets the way
// histogram_quantile() does (linear interpolation inside the bucket).

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export type Scrape = readonly Sample[];

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseProm(text: string): Scrape {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[3] ?? '').matchAll(LABEL)) labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, '$1');
    const token = match[4] as string;
    const value = token === '+Inf' ? Infinity : token === '-Inf' ? -Infinity : Number(token);
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

/** Sum of a metric's samples (over every label set, or those matching `where`). */
export function total(scrape: Scrape, name: string, where: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of scrape) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

export interface Histogram {
  /** Upper bounds, ascending, +Inf last. */
  readonly bounds: number[];
  /** Cumulative counts per bound. */
  readonly cumulative: number[];
  readonly sum: number;
  readonly count: number;
}

/** A histogram summed over its label sets. */
export function histogram(scrape: Scrape, name: string): Histogram {
  const byBound = new Map<number, number>();
  for (const s of scrape) {
    if (s.name !== `${name}_bucket`) continue;
    const le = s.labels.le;
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + s.value);
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, cumulative: bounds.map((b) => byBound.get(b) ?? 0), sum: total(scrape, `${name}_sum`), count: total(scrape, `${name}_count`) };
}

/** after − before, bucket by bucket (a server restart in between gives garbage: don't). */
export function diffHistogram(after: Histogram, before: Histogram): Histogram {
  const prior = new Map(before.bounds.map((b, i) => [b, before.cumulative[i] ?? 0]));
  return {
    bounds: after.bounds,
    cumulative: after.bounds.map((b, i) => (after.cumulative[i] ?? 0) - (prior.get(b) ?? 0)),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** histogram_quantile(): NaN when empty; the highest finite bound when q lands in +Inf. */
export function quantile(h: Histogram, q: number): number {
  const count = h.cumulative[h.cumulative.length - 1] ?? 0;
  if (count <= 0) return Number.NaN;
  const rank = q * count;
  for (let i = 0; i < h.bounds.length; i++) {
    const cum = h.cumulative[i] ?? 0;
    if (cum >= rank) {
      const upper = h.bounds[i] as number;
      const lower = i === 0 ? 0 : (h.bounds[i - 1] as number);
      if (!Number.isFinite(upper)) return lower;
      const prev = i === 0 ? 0 : (h.cumulative[i - 1] ?? 0);
      const inBucket = cum - prev;
      return inBucket <= 0 ? upper : lower + (upper - lower) * ((rank - prev) / inBucket);
    }
  }
  return h.bounds[h.bounds.length - 2] ?? Number.NaN;
}

export function mean(h: Histogram): number {
  return h.count > 0 ? h.sum / h.count : Number.NaN;
}

/** What the server saw during one point. */
export interface ServerView {
  readonly batches: number;
  readonly meanBatchRows: number;
  readonly batchRowsP50: number;
  readonly batchRowsP99: number;
  readonly rows: number;
  readonly queueWaitP50Ms: number;
  readonly queueWaitP99Ms: number;
  readonly meanQueueWaitMs: number;
  readonly meanInferenceMs: number;
  /** Tokenisation + tensors, and span decoding, per batch in the worker (ms). */
  readonly meanPreprocessMs: number;
  readonly meanPostprocessMs: number;
  readonly meanBatchTokens: number;
  /** Worker busy seconds / (seconds × workers). */
  readonly workerUtilization: number;
  /** Server process CPU seconds per wall second (2 = both cores). */
  readonly serverCpuCores: number;
  /** Server process CPU seconds between the two scrapes. */
  readonly serverCpuSeconds: number;
  readonly dropped: number;
}

export function serverView(before: Scrape, after: Scrape, seconds: number): ServerView {
  const rows = diffHistogram(histogram(after, 'gliner_batch_rows'), histogram(before, 'gliner_batch_rows'));
  const wait = diffHistogram(histogram(after, 'gliner_queue_wait_seconds'), histogram(before, 'gliner_queue_wait_seconds'));
  const inference = diffHistogram(histogram(after, 'gliner_inference_seconds'), histogram(before, 'gliner_inference_seconds'));
  const tokens = diffHistogram(histogram(after, 'gliner_batch_tokens'), histogram(before, 'gliner_batch_tokens'));
  const pre = diffHistogram(histogram(after, 'gliner_preprocess_seconds'), histogram(before, 'gliner_preprocess_seconds'));
  const post = diffHistogram(histogram(after, 'gliner_postprocess_seconds'), histogram(before, 'gliner_postprocess_seconds'));
  const workers = total(after, 'gliner_workers') || 1;
  const busy = total(after, 'gliner_worker_busy_seconds_total') - total(before, 'gliner_worker_busy_seconds_total');
  const cpu = total(after, 'process_cpu_seconds_total') - total(before, 'process_cpu_seconds_total');
  return {
    batches: rows.count,
    meanBatchRows: mean(rows),
    batchRowsP50: quantile(rows, 0.5),
    batchRowsP99: quantile(rows, 0.99),
    rows: total(after, 'gliner_rows_processed_total') - total(before, 'gliner_rows_processed_total'),
    queueWaitP50Ms: quantile(wait, 0.5) * 1000,
    queueWaitP99Ms: quantile(wait, 0.99) * 1000,
    meanQueueWaitMs: mean(wait) * 1000,
    meanInferenceMs: mean(inference) * 1000,
    meanPreprocessMs: mean(pre) * 1000,
    meanPostprocessMs: mean(post) * 1000,
    meanBatchTokens: mean(tokens),
    workerUtilization: seconds > 0 ? busy / (seconds * workers) : Number.NaN,
    serverCpuCores: seconds > 0 ? cpu / seconds : Number.NaN,
    serverCpuSeconds: cpu,
    dropped: total(after, 'gliner_requests_dropped_total') - total(before, 'gliner_requests_dropped_total'),
  };
}
