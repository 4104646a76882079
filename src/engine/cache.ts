// The result cache's memory: text answers by key, bounded in bytes (least recently used goes
// first) and in age (TTL), and the key itself (a sha256 of everything that decides an answer).
// It holds answers only in this process's memory: nothing here logs, and nothing is written to disk.
import { createHash, type Hash } from 'node:crypto';
import type { DecodeOptions } from '../inference/decode.js';
import type { TextAnswer } from '../worker/messages.js';

/** Bytes charged per entry on top of its answer: the 64-character key, the entry object, the map slot. */
export const ENTRY_OVERHEAD_BYTES = 256;

export type EvictionReason = 'size' | 'ttl';

export interface CacheEvents {
  onEvict(reason: EvictionReason, count: number): void;
  onSize(bytes: number, entries: number): void;
}

interface Entry {
  readonly answer: TextAnswer;
  readonly bytes: number;
  readonly expiresAt: number;
}

/** What an answer costs in memory: its JSON as UTF-16 (an upper bound; V8 stores ASCII in one byte). */
export function answerBytes(answer: TextAnswer): number {
  return (answer.json.length + (answer.relations?.json.length ?? 0)) * 2 + ENTRY_OVERHEAD_BYTES;
}

export class AnswerStore {
  private readonly entries = new Map<string, Entry>();
  private used = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly ttlMs: number,
    private readonly events: CacheEvents,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The answer if present and fresh; a hit becomes the most recently used. */
  get(key: string): TextAnswer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(key, entry);
      this.events.onEvict('ttl', 1);
      this.report();
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.answer;
  }

  set(key: string, answer: TextAnswer): void {
    const bytes = answerBytes(answer);
    const old = this.entries.get(key);
    if (old !== undefined) this.remove(key, old);
    if (bytes > this.maxBytes) {
      this.report();
      return; // larger than the whole cache: never stored
    }
    this.entries.set(key, { answer, bytes, expiresAt: this.now() + this.ttlMs });
    this.used += bytes;
    this.evict();
    this.report();
  }

  private evict(): void {
    const now = this.now();
    let expired = 0;
    let pushed = 0;
    // Oldest first: expired entries go, then the least recently used until the bound holds.
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.remove(key, entry);
        expired++;
      } else if (this.used > this.maxBytes) {
        this.remove(key, entry);
        pushed++;
      } else {
        break;
      }
    }
    if (expired > 0) this.events.onEvict('ttl', expired);
    if (pushed > 0) this.events.onEvict('size', pushed);
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.used -= entry.bytes;
  }

  private report(): void {
    this.events.onSize(this.used, this.entries.size);
  }
}

export interface KeyParts {
  /** Model id, revision and quantization: which weights answered. */
  readonly model: string;
  /** The API key's name when answers are not shared across keys; '' when they are. */
  readonly scope: string;
  /** In the order given (the order decides label groups, hence scores for long label lists). */
  readonly labels: readonly string[];
  readonly options: DecodeOptions;
  readonly maxEntities: number;
  /** GLiNER2 extract: the canonical schema and extract's options. */
  readonly extract?: { readonly schemaJson: string; readonly threshold: number; readonly includeConfidence: boolean; readonly includeSpans: boolean };
  /** Relation labels (in order) and relation_threshold, when asked. */
  readonly relations?: { readonly labels: readonly string[]; readonly threshold: number } | undefined;
}

/** Keys for the texts of one request: everything but the text is hashed once, then copied per text. */
export function keyer(parts: KeyParts): (text: string) => string {
  const base: Hash = createHash('sha256');
  // JSON is unambiguous for the fixed part; the text comes last after a separator JSON never emits raw.
  const relations = parts.relations === undefined ? [] : [parts.relations.labels, parts.relations.threshold];
  base.update(JSON.stringify([parts.model, parts.scope, parts.labels, parts.options.threshold, parts.options.flatNer, parts.options.multiLabel, parts.maxEntities, ...relations]));
  const { extract } = parts;
  if (extract !== undefined) base.update(JSON.stringify(['extract', extract.schemaJson, extract.threshold, extract.includeConfidence, extract.includeSpans]));
  base.update('\n');
  return (text) => base.copy().update(text).digest('hex');
}
