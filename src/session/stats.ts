// How long the broker takes to answer an exec, as the broker measures it:
// from a connection's arrival (its "EXG1" datagram read from the session
// socket, when the exec handler starts) to its decision acted on: the reply
// that lets the wrapper go on (Decision RUN or DENY), or for an escalation
// the command handed to the host (a human's answer included; Decision
// ESCALATE follows once the command is about to exec). Time
// the datagram waited in the socket before the broker read it is not seen
// here: the wrapper's own wall clock (npm run bench) is the whole story.
//
// One histogram per reply, log-linear (8 buckets between each power of two
// microseconds: a value is known to within 12.5%),
// so that recording is a few arithmetic operations on the Run path and the
// memory is fixed whatever the load. Read over the control socket with the
// JSON op {"op":"stats"} (docs/protocol.md).

/** What the broker replied. */
export type Reply = 'run' | 'deny' | 'escalate' | 'notify';
export const REPLIES: readonly Reply[] = ['run', 'deny', 'escalate', 'notify'];

const BUCKETS_PER_OCTAVE = 8;
/** Below 8 µs, one bucket per microsecond; from 2^3 to 2^32 µs (71 minutes:
 * a human may take long to answer), 8 per octave; slower values count in
 * the last bucket. */
const FIRST_OCTAVE = 3;
const LAST_OCTAVE = 32;
const BUCKETS = BUCKETS_PER_OCTAVE + (LAST_OCTAVE - FIRST_OCTAVE) * BUCKETS_PER_OCTAVE;

/** The lowest value (µs) of bucket i. */
function lowOf(i: number): number {
  if (i < BUCKETS_PER_OCTAVE) return i;
  const octave = FIRST_OCTAVE + Math.floor((i - BUCKETS_PER_OCTAVE) / BUCKETS_PER_OCTAVE);
  return 2 ** octave + ((i - BUCKETS_PER_OCTAVE) % BUCKETS_PER_OCTAVE) * 2 ** (octave - FIRST_OCTAVE);
}

function bucketOf(us: number): number {
  if (!(us >= 0)) return 0;
  if (us < BUCKETS_PER_OCTAVE) return Math.floor(us);
  const octave = Math.floor(Math.log2(us));
  const sub = Math.floor((us - 2 ** octave) / 2 ** (octave - FIRST_OCTAVE));
  return Math.min(BUCKETS - 1, BUCKETS_PER_OCTAVE + (octave - FIRST_OCTAVE) * BUCKETS_PER_OCTAVE + sub);
}

export interface LatencySummary {
  count: number;
  /** Percentiles: the middle of the bucket holding that rank, in µs. */
  p50Us: number;
  p90Us: number;
  p99Us: number;
  /** Exact. */
  minUs: number;
  maxUs: number;
  meanUs: number;
  /** Non-empty buckets: [lowest µs, highest µs (exclusive), count]. */
  histogram: [number, number, number][];
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private sum = 0;
  private min = Infinity;
  private max = 0;

  record(us: number): void {
    this.counts[bucketOf(us)]! += 1;
    this.n += 1;
    this.sum += us;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }

  /** The value (µs) below which a fraction q of the recorded values lie. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, (lowOf(i) + lowOf(i + 1)) / 2));
    }
    return this.max;
  }

  summary(): LatencySummary {
    const histogram: [number, number, number][] = [];
    this.counts.forEach((c, i) => {
      if (c > 0) histogram.push([lowOf(i), lowOf(i + 1), c]);
    });
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      count: this.n,
      p50Us: round(this.quantile(0.5)),
      p90Us: round(this.quantile(0.9)),
      p99Us: round(this.quantile(0.99)),
      minUs: this.n ? round(this.min) : 0,
      maxUs: round(this.max),
      meanUs: this.n ? round(this.sum / this.n) : 0,
      histogram,
    };
  }
}

export interface BrokerStats {
  /** Since when (ISO 8601): the broker's start. */
  since: string;
  /** Per reply, the replies with their latencies. */
  replies: Record<Reply, LatencySummary>;
  /** Fast-path records received ("EXR1": runs the wrapper decided alone). */
  records: number;
}

export class DecisionStats {
  private readonly since = new Date().toISOString();
  private readonly byReply = new Map<Reply, LatencyHistogram>(REPLIES.map((r) => [r, new LatencyHistogram()]));
  private records = 0;

  /** One reply, `ms` after its connection arrived. */
  replied(reply: Reply, ms: number): void {
    this.byReply.get(reply)!.record(ms * 1000);
  }

  recorded(): void {
    this.records += 1;
  }

  snapshot(): BrokerStats {
    return {
      since: this.since,
      replies: Object.fromEntries(REPLIES.map((r) => [r, this.byReply.get(r)!.summary()])) as Record<Reply, LatencySummary>,
      records: this.records,
    };
  }
}
