// The fair row queue: rows wait per request, requests per tenant (API key), and batches are filled
// round-robin over tenants, within a tenant least recently served request first — so a short request
// is never queued behind every window of a long document, and one key's batch job cannot starve
// another key's interactive traffic. Cancelled or expired requests leave
// the queue whole, at once.
import type { BatchResult, RowResult, RowTask } from '../worker/messages.js';
import type { ExtractBatchResult, ExtractRowResult, ExtractRowTask } from '../worker/gliner2-messages.js';
import type { GlinerError } from '../errors.js';

/**
 * A queued row: a GLiNER row (engine.ts) or a GLiNER2 extract row (extract-engine.ts). A server
 * loads one model, so one batch holds rows of one kind; the batcher never looks inside.
 */
export type AnyRowTask = RowTask | ExtractRowTask;
export type AnyRowResult = RowResult | ExtractRowResult;
export type AnyBatchResult = BatchResult | ExtractBatchResult;

/** Shared by every row of one request: cancelling it drops the rows not yet dispatched. */
export interface Ticket {
  readonly deadline: number;
  cancelled: 'disconnect' | 'deadline' | 'failed' | undefined;
  /** An observer's context for the request (a trace span): handed back in events, never read here. */
  readonly context?: unknown;
}

export interface DispatchedBatch {
  readonly id: number;
  readonly rows: number;
  /** Longest wait among the batch's rows, in seconds. */
  readonly queueSeconds: number;
  /** Ran on the solo session (the only work in the server at the time). */
  readonly solo: boolean;
  /** The requests whose rows it carried (one batch serves many requests). */
  readonly tickets: readonly Ticket[];
  /** How many of the batch's rows each of `tickets` had. */
  readonly ticketRows: readonly number[];
  readonly result: AnyBatchResult;
}

export interface QueuedRow {
  readonly task: AnyRowTask;
  /** The request the row belongs to (events name the requests a batch served). */
  readonly ticket?: Ticket;
  /** Estimated tokens (the batch budget). */
  readonly tokens: number;
  readonly resolve: (result: AnyRowResult, batch: DispatchedBatch) => void;
  readonly reject: (error: GlinerError) => void;
  enqueuedAt: number;
}

/** One request's rows that have not been dispatched yet. */
export class RequestRows {
  rows: QueuedRow[] = [];
  /** Index of the next row to dispatch. */
  head = 0;
  /** Set once the request's drop has been counted (a request counts once, whatever its rows). */
  dropCounted = false;
  /** When the request last had a row dispatched (or joined the queue): its age, for the anchor rule. */
  servedAt = 0;

  constructor(
    readonly tenant: string,
    readonly ticket: Ticket,
  ) {}

  get waiting(): number {
    return this.rows.length - this.head;
  }
}

class Tenant {
  /**
   * Requests with rows waiting, least recently served first: a new request joins at the end, and a
   * request that had rows dispatched moves to the end — round-robin for long documents, arrival
   * order for one-row requests.
   */
  requests: RequestRows[] = [];
  rows = 0;
}

export interface BatchLimits {
  readonly maxRows: number;
  readonly maxTokens: number;
  /** Largest share of the batch's padded size that may be padding. */
  readonly maxPadding: number;
  /** A request not served for this long anchors the next batch, whatever its length. */
  readonly ageLimitMs: number;
  /** Requests looked at, at most, to fill one batch. */
  readonly lookahead: number;
}

export class FairQueue {
  private readonly tenants = new Map<string, Tenant>();
  /** Tenants with rows waiting, in round-robin order. */
  private ring: string[] = [];
  private ringCursor = 0;
  private total = 0;

  /** Rows waiting, all tenants. */
  get rows(): number {
    return this.total;
  }

  /** Rows waiting per tenant. */
  byTenant(): Map<string, number> {
    return new Map([...this.tenants].map(([name, tenant]) => [name, tenant.rows]));
  }

  tenantRows(tenant: string): number {
    return this.tenants.get(tenant)?.rows ?? 0;
  }

  /**
   * Rows dispatched before the last of `rows` new rows of `tenant`, if they joined now: each other
   * tenant takes at most one row per round, and the new request shares its tenant's turns with the
   * tenant's other requests.
   */
  rowsAhead(tenant: string, rows: number): number {
    const own = this.tenants.get(tenant);
    const ownRequests = (own?.requests.length ?? 0) + 1;
    let ahead = 0;
    for (const request of own?.requests ?? []) ahead += Math.min(request.waiting, rows);
    const rounds = rows * ownRequests;
    for (const [name, other] of this.tenants) if (name !== tenant) ahead += Math.min(other.rows, rounds);
    return ahead;
  }

  /** Queue rows of a request (several calls append). */
  push(request: RequestRows, rows: readonly QueuedRow[]): void {
    if (rows.length === 0) return;
    let tenant = this.tenants.get(request.tenant);
    if (tenant === undefined) {
      tenant = new Tenant();
      this.tenants.set(request.tenant, tenant);
      this.ring.push(request.tenant);
    }
    if (request.waiting === 0) tenant.requests.push(request);
    if (request.servedAt === 0) request.servedAt = rows[0]?.enqueuedAt ?? 0;
    request.rows.push(...rows);
    tenant.rows += rows.length;
    this.total += rows.length;
  }

  /** Take a request's waiting rows out of the queue (cancelled, expired, or failed); returns them. */
  remove(request: RequestRows): QueuedRow[] {
    const left = request.rows.slice(request.head);
    if (left.length === 0) return left;
    request.rows = [];
    request.head = 0;
    const tenant = this.tenants.get(request.tenant);
    if (tenant !== undefined) {
      const at = tenant.requests.indexOf(request);
      if (at >= 0) tenant.requests.splice(at, 1);
      tenant.rows -= left.length;
      this.total -= left.length;
      this.forgetIfEmpty(request.tenant, tenant);
    }
    return left;
  }

  /** Every request with rows waiting (for deadline sweeps and shutdown). */
  *requests(): Iterable<RequestRows> {
    for (const tenant of this.tenants.values()) yield* [...tenant.requests];
  }

  /**
   * Fill one batch. The requests looked at (at most `lookahead`) are listed round-robin over tenants,
   * each tenant's least recently served first. The anchor (first row) is the longest-waiting request,
   * or the shortest waiting row when it is under half as long (short requests do not wait behind long
   * windows) — unless a request has not been served for `ageLimitMs`, which then goes first (the
   * oldest such), so long documents keep moving. The batch is
   * then filled with the rows closest in length to the anchor (less padding), ties going to requests
   * with fewer rows in this batch and then to the round-robin order, within the row cap, the token
   * budget (padding counted) and the padding share. Requests that `dead` condemns are skipped and
   * returned, for the caller to remove.
   */
  take(limits: BatchLimits, now: number, dead: (request: RequestRows) => boolean): { rows: QueuedRow[]; dead: RequestRows[] } {
    const condemned: RequestRows[] = [];
    const candidates: { request: RequestRows }[] = [];
    // Round-robin listing: the k-th request of every tenant before the (k+1)-th of any.
    const ring = this.ring.map((_, t) => this.tenants.get(this.ring[(this.ringCursor + t) % this.ring.length] ?? '')).filter((t): t is Tenant => t !== undefined);
    for (let k = 0; candidates.length < limits.lookahead; k++) {
      let any = false;
      for (const tenant of ring) {
        if (k >= tenant.requests.length || candidates.length >= limits.lookahead) continue;
        any = true;
        const request = tenant.requests[k] as RequestRows;
        if (dead(request)) condemned.push(request);
        else candidates.push({ request });
      }
      if (!any) break;
    }

    const taken = new Map<RequestRows, number>();
    const picks: QueuedRow[] = [];
    let longest = 0;
    let total = 0;
    const next = (request: RequestRows): QueuedRow | undefined => request.rows[request.head + (taken.get(request) ?? 0)];
    const fits = (tokens: number): boolean => {
      if (picks.length === 0) return true;
      const nextLongest = Math.max(longest, tokens);
      const padded = nextLongest * (picks.length + 1);
      return padded <= limits.maxTokens && (padded - (total + tokens)) / padded <= limits.maxPadding;
    };
    const pick = (c: (typeof candidates)[number]): void => {
      const row = next(c.request);
      if (row === undefined) return;
      picks.push(row);
      taken.set(c.request, (taken.get(c.request) ?? 0) + 1);
      longest = Math.max(longest, row.tokens);
      total += row.tokens;
    };

    // The anchor. Among rows of comparable length (the shortest at least half the longest-waiting
    // one) it is simply the longest-waiting request: arrival order keeps the tail of uniform traffic
    // short. Only when much shorter rows wait does the shortest go first.
    let anchor: (typeof candidates)[number] | undefined;
    let shortest: (typeof candidates)[number] | undefined;
    let waiting: (typeof candidates)[number] | undefined;
    let aged = false;
    for (const c of candidates) {
      const head = next(c.request);
      if (head === undefined) continue;
      const old = now - c.request.servedAt > limits.ageLimitMs;
      if (old && (!aged || c.request.servedAt < (anchor?.request.servedAt ?? Infinity))) {
        anchor = c;
        aged = true;
      }
      if (shortest === undefined || head.tokens < (next(shortest.request)?.tokens ?? Infinity)) shortest = c;
      if (waiting === undefined || c.request.servedAt < waiting.request.servedAt) waiting = c;
    }
    if (!aged) {
      const comparable = shortest !== undefined && waiting !== undefined && 2 * (next(shortest.request)?.tokens ?? 0) >= (next(waiting.request)?.tokens ?? 0);
      anchor = comparable ? waiting : shortest;
    }
    if (anchor === undefined) return { rows: picks, dead: condemned };
    pick(anchor);
    const target = picks[0]?.tokens ?? 0;

    // The fill: closest in length first. Behind an old anchor (the queue is backing up), other old
    // requests come first, so that under overload the queue drains in arrival order and the wait that
    // admission estimated holds.
    const old = (request: RequestRows): number => (aged && now - request.servedAt <= limits.ageLimitMs ? 1 : 0);
    while (picks.length < limits.maxRows) {
      let best: (typeof candidates)[number] | undefined;
      let bestKey: [number, number, number] = [Infinity, Infinity, Infinity];
      for (const c of candidates) {
        const row = next(c.request);
        if (row === undefined || !fits(row.tokens)) continue;
        const key: [number, number, number] = [old(c.request), Math.abs(row.tokens - target), taken.get(c.request) ?? 0];
        if (key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
          best = c;
          bestKey = key;
        }
      }
      if (best === undefined) break;
      pick(best);
    }
    if (this.ring.length > 0) this.ringCursor = (this.ringCursor + 1) % this.ring.length;
    for (const [request, n] of taken) {
      request.servedAt = now;
      this.advance(request, n);
    }
    return { rows: picks, dead: condemned };
  }

  /** `n` rows of a request were dispatched. */
  private advance(request: RequestRows, n: number): void {
    request.head += n;
    const tenant = this.tenants.get(request.tenant);
    if (tenant === undefined) return;
    tenant.rows -= n;
    this.total -= n;
    const at = tenant.requests.indexOf(request);
    if (at >= 0) tenant.requests.splice(at, 1);
    if (request.waiting === 0) {
      request.rows = [];
      request.head = 0;
    } else tenant.requests.push(request); // served: to the back of its tenant's line
    this.forgetIfEmpty(request.tenant, tenant);
  }

  private forgetIfEmpty(name: string, tenant: Tenant): void {
    if (tenant.requests.length > 0) return;
    this.tenants.delete(name);
    const at = this.ring.indexOf(name);
    if (at >= 0) {
      this.ring.splice(at, 1);
      if (this.ringCursor > at) this.ringCursor--;
      if (this.ring.length > 0) this.ringCursor %= this.ring.length;
      else this.ringCursor = 0;
    }
  }
}
