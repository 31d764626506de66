/**
 * PGlite is one process per data directory: a second process opening the same files corrupts them and
 * silently loses rows. The lock is a Unix socket the holder listens on, `DATA_DIR/switchboard.lock`. The kernel
 * closes it the moment the holder ends (clean exit, kill -9, or a zombie its parent has not reaped), so whether
 * the holder is alive is answered by connecting to it, not by guessing from a pid: in a container the crashed
 * process and its replacement are both pid 1, a pid may be recycled, and a zombie still answers kill(pid, 0).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';

const LOCK_NAME = 'switchboard.lock';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `The data directory ${dataDir} is in use by another Switchboard process ` +
        `(${holderPid === undefined ? 'its pid did not answer' : `pid ${holderPid}`}). ` +
        'The embedded database allows one process per directory: stop that process, use another DATA_DIR, ' +
        'or set DATABASE_URL to share a PostgreSQL server between instances.',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

interface SocketPlace {
  /** The address to listen on or connect to for a file in the data directory. */
  address(name: string): string;
  /** Whether a dead holder leaves a socket file behind that must be removed (not so for Windows pipes). */
  readonly leavesFiles: boolean;
  close(): void;
}

// A socket address holds at most 107 bytes on Linux (103 on macOS) and Node cuts a longer one short without an
// error, binding somewhere else. On Linux a deep DATA_DIR is reached through an open descriptor of the directory.
const MAX_SOCKET_PATH = 103;

function socketPlace(dataDir: string): SocketPlace {
  if (process.platform === 'win32') {
    // Windows has no socket files; a named pipe also vanishes with its process. Not exercised by the tests.
    const key = createHash('sha256').update(resolve(dataDir).toLowerCase()).digest('hex').slice(0, 32);
    return { address: (name) => `\\\\.\\pipe\\switchboard-${key}-${name}`, leavesFiles: false, close() {} };
  }
  const longestName = `/${LOCK_NAME}.aside-00000000`;
  if (Buffer.byteLength(dataDir + longestName) <= MAX_SOCKET_PATH) {
    return { address: (name) => join(dataDir, name), leavesFiles: true, close() {} };
  }
  if (process.platform !== 'linux') {
    throw new Error(
      `The data directory path ${dataDir} is too long for its lock socket (at most ` +
        `${MAX_SOCKET_PATH - longestName.length} bytes on this system); use a shorter DATA_DIR.`,
    );
  }
  // Kept open while the lock is held: the server unlinks its socket through this path when it closes.
  const directory = openSync(dataDir, 'r');
  let open = true;
  return {
    address: (name) => `/proc/self/fd/${directory}/${name}`,
    leavesFiles: true,
    close() {
      if (open) closeSync(directory);
      open = false;
    },
  };
}

/** Listens on the address; false when something already exists there. */
function listen(server: net.Server, address: string, dataDir: string): Promise<boolean> {
  return new Promise((resolvePromise, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') resolvePromise(false);
      else {
        reject(
          new Error(
            `Could not create the lock socket ${join(dataDir, LOCK_NAME)} (${error.code ?? error.message}). ` +
              'DATA_DIR must be on a local filesystem that allows Unix sockets (a Docker named volume, ext4, xfs).',
          ),
        );
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolvePromise(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(address);
  });
}

type Holder = { alive: false } | { alive: true; pid: number | undefined };

/**
 * Connects to what is at the address. Refused (a socket nobody listens on, or a plain file) or gone means no
 * holder; any other failure (permission, a full backlog) is taken as a live holder, the safe side.
 */
function probe(address: string): Promise<Holder> {
  return new Promise((resolvePromise) => {
    const socket = net.connect(address);
    let answer = '';
    let refused = false;
    socket.setEncoding('utf8');
    // The pid is only for the message; a holder whose event loop is busy is still alive.
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      refused = error.code === 'ECONNREFUSED' || error.code === 'ENOENT';
    });
    socket.on('close', () => {
      const pid = Number.parseInt(answer, 10);
      resolvePromise(refused ? { alive: false } : { alive: true, pid: Number.isFinite(pid) ? pid : undefined });
    });
  });
}

/**
 * Removes the dead holder's socket file. Another process may have taken over the same dead lock between our
 * probe and now, so the file is first moved aside and probed again: a live socket goes back where it was.
 */
async function removeStale(place: SocketPlace): Promise<void> {
  const aside = `${LOCK_NAME}.aside-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(place.address(LOCK_NAME), place.address(aside));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if ((await probe(place.address(aside))).alive) linkSync(place.address(aside), place.address(LOCK_NAME));
  } catch (error) {
    // A third process took the free name meanwhile; the next attempt probes it. (The one moved aside keeps
    // running without its name: three processes starting at once on a crashed directory is not covered.)
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(place.address(aside));
  }
}

function holderServer(): net.Server {
  const server = net.createServer((connection) => {
    connection.on('error', () => undefined);
    connection.unref();
    connection.end(`${process.pid}\n`);
  });
  // The lock must not keep an otherwise finished process (a CLI command) running.
  server.unref();
  return server;
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_NAME);
  const place = socketPlace(dataDir);
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const server = holderServer();
      if (await listen(server, place.address(LOCK_NAME), dataDir)) {
        // A failed accept (out of descriptors) only leaves one probe without a pid; the lock stays held.
        server.on('error', () => undefined);
        let released = false;
        return {
          path,
          release() {
            if (released) return;
            released = true;
            // Closing unlinks the socket file, then the directory's descriptor may go.
            server.close();
            place.close();
          },
        };
      }
      const holder = await probe(place.address(LOCK_NAME));
      if (holder.alive) throw new DataDirLockedError(dataDir, holder.pid);
      if (place.leavesFiles) await removeStale(place);
    }
  } catch (error) {
    place.close();
    throw error;
  }
  place.close();
  throw new Error(`Could not take the lock ${path}; remove it if no Switchboard process is running.`);
}
