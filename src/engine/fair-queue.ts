// The fair row queue: rows wait per request, requests per tenant (API key), and batches are filled
// round-robin — one row from each tenant in turn, within a tenant one row from each request in
// turn — so a short request is never queued behind every window of a long document, and one key's
// batch job cannot starve another key's interactive traffic. Cancelled or expired requests leave
// the queue whole, at once.
import type { RowResult, RowTask } from '../worker/messages.js';
import type { GlinerError } from '../errors.js';

/** Shared by every row of one request: cancelling it drops the rows not yet dispatched. */
export interface Ticket {
  readonly deadline: number;
  cancelled: 'disconnect' | 'deadline' | 'failed' | undefined;
}

export interface DispatchedBatch {
  readonly id: number;
  readonly rows: number;
  /** Longest wait among the batch's rows, in seconds. */
  readonly queueSeconds: number;
  readonly result: import('../worker/messages.js').BatchResult;
}

export interface QueuedRow {
  readonly task: RowTask;
  /** Estimated tokens (the batch budget). */
  readonly tokens: number;
  readonly resolve: (result: RowResult, batch: DispatchedBatch) => void;
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
  /** Requests with rows waiting, in round-robin order. */
  requests: RequestRows[] = [];
  cursor = 0;
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
      if (at >= 0) {
        tenant.requests.splice(at, 1);
        if (tenant.cursor > at) tenant.cursor--;
      }
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
   * Fill one batch. The anchor (first row) is the shortest waiting row — short requests do not wait
   * behind long windows — unless a request has not been served for `ageLimitMs`, which then goes first
   * (the oldest such), so long documents keep moving. The rest of the batch is filled round-robin over
   * tenants and over each tenant's requests, within the row cap, the token budget (padding counted)
   * and the padding share. Requests that `dead` condemns are skipped and returned, for the caller to
   * remove.
   */
  take(limits: BatchLimits, now: number, dead: (request: RequestRows) => boolean): { rows: QueuedRow[]; dead: RequestRows[] } {
    const condemned: RequestRows[] = [];
    const picks: QueuedRow[] = [];
    const taken = new Map<RequestRows, number>();
    const skip = new Set<RequestRows>();
    let longest = 0;
    let total = 0;
    let visits = 0;
    const pick = (request: RequestRows, row: QueuedRow): void => {
      picks.push(row);
      taken.set(request, (taken.get(request) ?? 0) + 1);
      longest = Math.max(longest, row.tokens);
      total += row.tokens;
    };
    const fits = (tokens: number): boolean => {
      if (picks.length === 0) return true;
      const nextLongest = Math.max(longest, tokens);
      const padded = nextLongest * (picks.length + 1);
      return padded <= limits.maxTokens && (padded - (total + tokens)) / padded <= limits.maxPadding;
    };
    const ring = this.ring;

    // The anchor.
    let shortest: RequestRows | undefined;
    let oldest: RequestRows | undefined;
    const where = new Map<RequestRows, [Tenant, number]>();
    for (let t = 0; t < ring.length && visits < limits.lookahead; t++) {
      const tenant = this.tenants.get(ring[(this.ringCursor + t) % ring.length] ?? '');
      if (tenant === undefined) continue;
      for (let k = 0; k < tenant.requests.length && visits < limits.lookahead; k++) {
        const index = (tenant.cursor + k) % tenant.requests.length;
        const request = tenant.requests[index] as RequestRows;
        visits++;
        where.set(request, [tenant, index]);
        if (dead(request)) {
          skip.add(request);
          condemned.push(request);
          continue;
        }
        const head = request.rows[request.head];
        if (head === undefined) continue;
        if (now - request.servedAt > limits.ageLimitMs) {
          if (oldest === undefined || request.servedAt < oldest.servedAt) oldest = request;
        } else if (shortest === undefined || head.tokens < (shortest.rows[shortest.head]?.tokens ?? Infinity)) shortest = request;
      }
    }
    const anchor = oldest ?? shortest;
    const anchorRow = anchor === undefined ? undefined : anchor.rows[anchor.head];
    // The anchor is its tenant's turn in the first round; that tenant's round-robin resumes after it.
    let anchorTenant: Tenant | undefined;
    if (anchor !== undefined && anchorRow !== undefined) {
      pick(anchor, anchorRow);
      const [tenant, index] = where.get(anchor) ?? [undefined, 0];
      if (tenant !== undefined) tenant.cursor = (index + 1) % tenant.requests.length;
      anchorTenant = tenant;
    }

    // Round-robin fill.
    visits = 0;
    let progress = picks.length > 0;
    let round = 0;
    while (progress && picks.length < limits.maxRows && visits < limits.lookahead) {
      progress = false;
      for (let t = 0; t < ring.length && picks.length < limits.maxRows; t++) {
        const tenant = this.tenants.get(ring[(this.ringCursor + t) % ring.length] ?? '');
        if (tenant === undefined || (round === 0 && tenant === anchorTenant)) {
          progress ||= round === 0 && tenant === anchorTenant;
          continue;
        }
        const requests = tenant.requests;
        for (let k = 0; k < requests.length && visits < limits.lookahead; k++) {
          const index = (tenant.cursor + k) % requests.length;
          const request = requests[index] as RequestRows;
          if (skip.has(request)) continue;
          visits++;
          const row = request.rows[request.head + (taken.get(request) ?? 0)];
          if (row === undefined) {
            skip.add(request);
            continue;
          }
          // A row that does not fit now may fit in a later round, once the batch has grown longer rows.
          if (!fits(row.tokens)) continue;
          pick(request, row);
          tenant.cursor = (index + 1) % requests.length;
          progress = true;
          break;
        }
      }
      round++;
    }
    if (ring.length > 0) this.ringCursor = (this.ringCursor + 1) % Math.max(1, this.ring.length);
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
    if (request.waiting === 0) {
      request.rows = [];
      request.head = 0;
      const at = tenant.requests.indexOf(request);
      if (at >= 0) {
        tenant.requests.splice(at, 1);
        if (tenant.cursor > at) tenant.cursor--;
      }
    }
    if (tenant.requests.length > 0) tenant.cursor %= tenant.requests.length;
    else tenant.cursor = 0;
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
