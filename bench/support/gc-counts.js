/**
 * Garbage collections on this process's main thread, for the benchmarks' server processes (server-process.ts under
 * tsx and compiled-server.js under plain node both import it, hence JavaScript with types in gc-counts.d.ts).
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';

let counts;

/**
 * Starts counting (once) and returns the running totals: major GCs (mark-compact; their ms include the incremental
 * marking steps before them) and minor ones (scavenges), with their pause ms. A major GC is what puts the
 * call_inbound tail in one cluster of slow answers per block; the profile A/B reports how many each arm had.
 */
export function watchGc() {
  if (!counts) {
    const running = { major: 0, majorMs: 0, minor: 0, minorMs: 0 };
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = entry.detail?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          running.major++;
          running.majorMs += entry.duration;
        } else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) {
          // A step of a major GC's marking: its time belongs to the major GC, which is counted when it finishes.
          running.majorMs += entry.duration;
        } else {
          running.minor++;
          running.minorMs += entry.duration;
        }
      }
    }).observe({ entryTypes: ['gc'] });
    counts = running;
  }
  return { ...counts };
}
