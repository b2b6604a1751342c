/**
 * A run's gate: closed while the run is suspended (paused by a caller or by control, or held by
 * steps waiting for signals), so no new step starts; whatever is about to start awaits it. An
 * open gate costs nothing: no promise exists until someone closes it.
 */
export class RunGate {
  private paused = false;
  private holds = 0;
  private closed: Promise<void> | undefined;
  private reopen: (() => void) | undefined;

  /** Whether a pause (not a wait) is in force. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Whether anything keeps the gate closed. */
  get isClosed(): boolean {
    return this.paused || this.holds > 0;
  }

  /** Whether releasing one hold opens the gate: no pause, and that hold is the last. */
  get opensOnRelease(): boolean {
    return !this.paused && this.holds === 1;
  }

  /** Whether waits hold the gate (besides any pause). */
  get isHeld(): boolean {
    return this.holds > 0;
  }

  /** The promise to await before starting something; undefined while the gate is open. */
  get whenOpen(): Promise<void> | undefined {
    return this.closed;
  }

  /** Pauses; false when already paused. */
  pause(): boolean {
    if (this.paused) return false;
    this.paused = true;
    this.close();
    return true;
  }

  /** Ends the pause; false when there was none. Waits still hold the gate. */
  unpause(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    this.openIfFree();
    return true;
  }

  /** A step's wait holds the gate until {@link release}. */
  hold(): void {
    this.holds++;
    this.close();
  }

  release(): void {
    if (this.holds > 0) this.holds--;
    this.openIfFree();
  }

  /** Opens for good (the run stopped): everything waiting goes on and sees the run stopped. */
  dispose(): void {
    this.paused = false;
    this.holds = 0;
    this.openIfFree();
  }

  private close(): void {
    this.closed ??= new Promise<void>((resolve) => (this.reopen = resolve));
  }

  private openIfFree(): void {
    if (this.isClosed || this.reopen === undefined) return;
    const reopen = this.reopen;
    this.closed = this.reopen = undefined;
    reopen();
  }
}
