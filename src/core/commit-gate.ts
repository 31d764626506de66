/**
 * One decision per function call between "the caller is told it did not happen" and "it happened". The work's
 * transaction asks `enter()` last, holding the row lock its outcome depends on, right before COMMIT; a deadline
 * asks `close()` before the caller is answered with a fallback. Whichever asks first wins. The decision is made in
 * memory, so neither side waits for a database connection to make it: however late the booking's commit or the
 * deadline's clean-up gets its turn on a busy database, what the caller heard and what is stored agree.
 */
export class CommitGate {
  private state: 'open' | 'committing' | 'closed' = 'open';

  /**
   * The work is about to commit: true when it may (from now on every deadline waits for its outcome), false when
   * the caller has been told it did not happen (the transaction must roll back).
   */
  enter(): boolean {
    if (this.state === 'closed') return false;
    this.state = 'committing';
    return true;
  }

  /**
   * A deadline is about to answer that it did not happen: true when it may (nothing can commit any more), false when
   * a commit was let through first (its outcome, success or failure, is the answer).
   */
  close(): boolean {
    if (this.state === 'committing') return false;
    this.state = 'closed';
    return true;
  }
}
