/**
 * The reaper: destroys jobs at their destruction time. One timer, set for the earliest
 * destruction (at most `maxSleepMs` ahead, so that times set by other processes are seen too).
 */

/** What the reaper needs from the engine. */
export interface ReaperHost {
  /** Destroy every job whose time has come. */
  reapDue(): Promise<void>;
  /** The earliest destruction time of any job, or null. */
  nextDestruction(): Promise<Date | null>;
  /** Report a failed round (the reaper keeps going). */
  onError(e: unknown): void;
}

/** A timer that calls `host.reapDue()` when the next job is due. */
export class Reaper {
  private timer: NodeJS.Timeout | null = null;
  private due = Infinity;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly host: ReaperHost,
    private readonly maxSleepMs = 60_000,
  ) {}

  /** Reap what is due now and keep watching. */
  start(): Promise<void> {
    this.stopped = false;
    return this.round();
  }

  /** Stop watching; waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** A job's destruction time was set: wake up earlier if it is sooner than planned. */
  notice(at: Date): void {
    if (this.stopped || at.getTime() >= this.due) return;
    this.schedule(at.getTime());
  }

  private schedule(at: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(Math.max(0, at - Date.now()), this.maxSleepMs);
    this.due = Date.now() + delay;
    this.timer = setTimeout(() => void this.round(), delay);
    this.timer.unref();
  }

  private round(): Promise<void> {
    this.timer = null;
    this.due = Infinity;
    this.running ??= (async () => {
      let next: Date | null = null;
      try {
        await this.host.reapDue();
        next = await this.host.nextDestruction();
      } catch (e) {
        this.host.onError(e);
      } finally {
        this.running = null;
      }
      // A destruction noticed while this round ran may already be scheduled sooner.
      const at = next ? next.getTime() : Date.now() + this.maxSleepMs;
      if (at < this.due) this.schedule(at);
    })();
    return this.running;
  }
}
