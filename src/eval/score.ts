// Entity-level exact-match scoring: an entity counts only if start, end and label all match.
import type { GoldEntity } from './conll.js';

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  support: number;
  predicted: number;
  correct: number;
}

export interface Report {
  micro: Prf;
  labels: Record<string, Prf>;
  sentences: number;
  /** With `eval --documents`: how many documents (or passages) the sentences were sent as. */
  documents?: number;
}

function prf(correct: number, predicted: number, support: number): Prf {
  const precision = predicted === 0 ? 0 : correct / predicted;
  const recall = support === 0 ? 0 : correct / support;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, support, predicted, correct };
}

export class Scorer {
  private readonly counts = new Map<string, { correct: number; predicted: number; support: number }>();
  private sentences = 0;

  constructor(private readonly labels: readonly string[]) {
    for (const label of labels) this.counts.set(label, { correct: 0, predicted: 0, support: 0 });
  }

  /** Score one unit of text (a sentence, or a document of `sentences` sentences). */
  add(gold: readonly GoldEntity[], predicted: readonly GoldEntity[], sentences = 1): void {
    this.sentences += sentences;
    const key = (e: GoldEntity): string => `${e.start}:${e.end}:${e.label}`;
    const goldKeys = new Set(gold.filter((e) => this.counts.has(e.label)).map(key));
    for (const e of gold) {
      const c = this.counts.get(e.label);
      if (c) c.support++;
    }
    for (const e of predicted) {
      const c = this.counts.get(e.label);
      if (!c) continue;
      c.predicted++;
      if (goldKeys.has(key(e))) c.correct++;
    }
  }

  report(): Report {
    const labels: Record<string, Prf> = {};
    let correct = 0;
    let predicted = 0;
    let support = 0;
    for (const label of this.labels) {
      const c = this.counts.get(label) ?? { correct: 0, predicted: 0, support: 0 };
      labels[label] = prf(c.correct, c.predicted, c.support);
      correct += c.correct;
      predicted += c.predicted;
      support += c.support;
    }
    return { micro: prf(correct, predicted, support), labels, sentences: this.sentences };
  }
}

/** The report as a markdown table; precision, recall and F1 as fractions (0.769), as the docs and --json give them. */
export function reportTable(report: Report): string {
  const pct = (v: number): string => v.toFixed(3);
  const rows = Object.entries(report.labels).map(([label, p]) => `| ${label} | ${pct(p.precision)} | ${pct(p.recall)} | ${pct(p.f1)} | ${p.support} |`);
  const m = report.micro;
  return ['| label | precision | recall | F1 | support |', '| --- | ---: | ---: | ---: | ---: |', ...rows, `| **micro** | ${pct(m.precision)} | ${pct(m.recall)} | ${pct(m.f1)} | ${m.support} |`].join('\n');
}
