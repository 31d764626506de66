/**
 * A small HTTP/1.1 client over kept-alive plain-TCP sockets, for traffic between our process and an emulator
 * on loopback: the Twilio emulator's signed status callbacks and the Twilio SDK's emulator transport
 * (providers/twilio/http-client.ts). Under a burst of texts node:http's ClientRequest machinery (agent
 * bookkeeping, outgoing-message streams, a parser object per response) cost about three times what the
 * exchange itself does; this writes each request as one buffer and reads the answer with a parser that
 * knows Content-Length, chunked and close-delimited bodies. Plain http only (callers use node:https or fetch
 * for https URLs); redirects are not followed; no request is retried (a POST may have been acted on).
 */
import net from 'node:net';

export interface Http1Request {
  method: string;
  /** Path and query, already encoded, e.g. `/v1/status?outbox=12`. */
  path: string;
  /** Header names as they should be sent; Host, Content-Length and Connection are added here. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Deadline for the whole exchange (connect, send, answer, body). */
  timeoutMs: number;
}

export interface Http1Response {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** A network failure or timeout; `code` follows Node's names (ETIMEDOUT, ECONNREFUSED, ECONNRESET, HPE_INVALID…). */
export class Http1Error extends Error {
  readonly code: string;
  constructor(message: string, code: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'Http1Error';
    this.code = code;
  }
}

const CRLF2 = Buffer.from('\r\n\r\n');

interface Exchange {
  resolve(response: Http1Response): void;
  reject(error: Http1Error): void;
  timer: NodeJS.Timeout;
  /** HEAD answers carry no body whatever their headers say. */
  head: boolean;
  what: string;
}

/** One socket; answers one exchange at a time. */
class Connection {
  readonly socket: net.Socket;
  private exchange: Exchange | undefined;
  private buffered: Buffer | undefined;
  private status = 0;
  private headers: Record<string, string> | undefined;
  private keepAlive = true;
  private mode: 'head' | 'length' | 'chunked' | 'close' = 'head';
  private remaining = 0;
  private bodyParts: Buffer[] = [];
  private chunkState: 'size' | 'data' | 'data-crlf' | 'trailers' = 'size';
  /** The answer's body once it is complete (handed over after the bytes in hand are checked). */
  private done: Buffer | undefined;
  closed = false;

  constructor(
    private readonly pool: Http1Pool,
    host: string,
    port: number,
  ) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error: NodeJS.ErrnoException) => this.onGone(error));
    // The server ending its side is the end of a close-delimited answer, or of an idle connection's life.
    this.socket.on('end', () => this.onGone(undefined));
    this.socket.on('close', () => this.onGone(undefined));
  }

  get busy(): boolean {
    return this.exchange !== undefined;
  }

  send(head: string, body: Buffer | string | undefined, exchange: Exchange): void {
    this.exchange = exchange;
    this.socket.ref();
    if (body === undefined || body.length === 0) this.socket.write(head, 'latin1');
    else if (typeof body === 'string') this.socket.write(head + body, 'utf8');
    else this.socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  }

  /** The exchange's deadline passed: the socket cannot be reused (an answer may still arrive on it). */
  abort(error: Http1Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    if (exchange) clearTimeout(exchange.timer);
    this.socket.destroy();
    exchange?.reject(error);
  }

  private onGone(error: NodeJS.ErrnoException | undefined): void {
    const wasClosed = this.closed;
    this.closed = true;
    if (!wasClosed) this.pool.forget(this);
    const exchange = this.exchange;
    if (!exchange) return;
    if (error === undefined && this.mode === 'close' && this.headers) {
      this.complete(Buffer.concat(this.bodyParts), false);
      return;
    }
    this.exchange = undefined;
    clearTimeout(exchange.timer);
    const code = typeof error?.code === 'string' ? error.code : 'ECONNRESET';
    const reason = error ? error.message : this.headers ? 'connection closed mid-answer' : 'socket hang up';
    exchange.reject(new Http1Error(`${exchange.what} failed: ${reason}`, code, error));
  }

  private onData(chunk: Buffer): void {
    if (!this.exchange) {
      // Bytes nobody asked for (a server answering twice): this connection cannot be trusted any more.
      this.socket.destroy();
      return;
    }
    let data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = undefined;
    try {
      while (this.done === undefined && data.length > 0) {
        const used = this.consume(data);
        if (used < 0) {
          this.buffered = data;
          return;
        }
        data = data.subarray(used);
      }
    } catch (error) {
      this.abort(new Http1Error(`${this.exchange.what} failed: ${(error as Error).message}`, 'HPE_INVALID'));
      return;
    }
    if (this.done !== undefined) this.complete(this.done, data.length === 0);
  }

  /** Consumes from `data`; answers the bytes used, or -1 when more bytes are needed. */
  private consume(data: Buffer): number {
    switch (this.mode) {
      case 'head': {
        const end = data.indexOf(CRLF2);
        if (end < 0) {
          if (data.length > 64 * 1024) throw new Error('response head too large');
          return -1;
        }
        this.parseHead(data.toString('latin1', 0, end));
        return end + 4;
      }
      case 'length': {
        const take = Math.min(this.remaining, data.length);
        this.bodyParts.push(data.subarray(0, take));
        this.remaining -= take;
        if (this.remaining === 0) this.finish(this.bodyParts.length === 1 ? this.bodyParts[0]! : Buffer.concat(this.bodyParts));
        return take;
      }
      case 'close':
        this.bodyParts.push(data);
        return data.length;
      case 'chunked':
        return this.consumeChunked(data);
    }
  }

  private consumeChunked(data: Buffer): number {
    if (this.chunkState === 'data') {
      const take = Math.min(this.remaining, data.length);
      this.bodyParts.push(data.subarray(0, take));
      this.remaining -= take;
      if (this.remaining === 0) this.chunkState = 'data-crlf';
      return take;
    }
    const lineEnd = data.indexOf('\r\n');
    if (lineEnd < 0) {
      if (data.length > 8 * 1024) throw new Error('chunk header too large');
      return -1;
    }
    const line = data.toString('latin1', 0, lineEnd);
    if (this.chunkState === 'data-crlf') {
      if (line !== '') throw new Error('chunk not followed by CRLF');
      this.chunkState = 'size';
    } else if (this.chunkState === 'size') {
      const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
      if (!Number.isFinite(size) || size < 0) throw new Error(`invalid chunk size "${line}"`);
      if (size === 0) this.chunkState = 'trailers';
      else {
        this.remaining = size;
        this.chunkState = 'data';
      }
    } else if (line === '') {
      // Trailers (ignored) end with an empty line.
      this.finish(Buffer.concat(this.bodyParts));
    }
    return lineEnd + 2;
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!statusLine) throw new Error(`invalid status line "${(lines[0] ?? '').slice(0, 80)}"`);
    const status = Number(statusLine[2]);
    const headers: Record<string, string> = {};
    for (let index = 1; index < lines.length; index += 1) {
      const line = lines[index]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    if (status >= 100 && status < 200) return; // 100 Continue / 103 Early Hints: the real answer follows.
    this.status = status;
    this.headers = headers;
    const connection = (headers.connection ?? '').toLowerCase();
    this.keepAlive = statusLine[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    this.bodyParts = [];
    const transferEncoding = (headers['transfer-encoding'] ?? '').toLowerCase();
    if (this.exchange!.head || status === 204 || status === 304) this.finish(Buffer.alloc(0));
    else if (transferEncoding.includes('chunked')) {
      this.mode = 'chunked';
      this.chunkState = 'size';
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (!Number.isSafeInteger(length) || length < 0) throw new Error(`invalid content-length "${headers['content-length']}"`);
      if (length === 0) this.finish(Buffer.alloc(0));
      else {
        this.mode = 'length';
        this.remaining = length;
      }
    } else {
      this.mode = 'close';
      this.keepAlive = false;
    }
  }

  private finish(body: Buffer): void {
    this.done = body;
  }

  /** Hands the answer over; the socket goes back to the pool unless the server or stray bytes say otherwise. */
  private complete(body: Buffer, clean: boolean): void {
    const exchange = this.exchange!;
    const response: Http1Response = { status: this.status, headers: this.headers!, body };
    this.exchange = undefined;
    this.done = undefined;
    this.headers = undefined;
    this.mode = 'head';
    this.bodyParts = [];
    clearTimeout(exchange.timer);
    if (clean && this.keepAlive && !this.closed) {
      this.socket.unref();
      this.pool.release(this);
    } else this.socket.destroy();
    exchange.resolve(response);
  }
}

export interface Http1PoolOptions {
  host: string;
  port: number;
  /** Sockets open at once; further requests wait for a free one (default 32). */
  maxSockets?: number;
}

/** Kept-alive connections to one origin (LIFO, so a burst reuses the warmest sockets). */
export class Http1Pool {
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly maxSockets: number;
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  /** Requests waiting for a connection: `start` sends, `fail` gives up (deadline passed, pool closed). */
  private readonly waiting: Array<{ start(): void; fail(error: Http1Error): void }> = [];
  private closed = false;

  constructor(options: Http1PoolOptions) {
    this.host = options.host;
    this.port = options.port;
    this.hostHeader = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.maxSockets = options.maxSockets ?? 32;
  }

  request(request: Http1Request): Promise<Http1Response> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Http1Error(`${request.method} ${request.path} failed: the client is closed`, 'ECONNRESET'));
        return;
      }
      const what = `${request.method} ${request.path.split('?')[0]}`;
      let head: string;
      try {
        head = this.head(request);
      } catch (error) {
        reject(error);
        return;
      }
      let connection: Connection | undefined;
      const waiter = {
        start: () => {
          connection = this.take();
          connection.send(head, request.body, exchange);
        },
        fail: (error: Http1Error) => {
          clearTimeout(exchange.timer);
          reject(error);
        },
      };
      const exchange: Exchange = {
        resolve,
        reject,
        head: request.method === 'HEAD',
        what,
        timer: setTimeout(() => {
          const error = new Http1Error(`${what} timed out after ${request.timeoutMs} ms`, 'ETIMEDOUT');
          if (connection) connection.abort(error);
          else {
            const index = this.waiting.indexOf(waiter);
            if (index >= 0) this.waiting.splice(index, 1);
            reject(error);
          }
        }, request.timeoutMs),
      };
      if (this.idle.length > 0 || this.all.size < this.maxSockets) waiter.start();
      else this.waiting.push(waiter);
    });
  }

  /** Destroys every socket; pending and waiting exchanges fail with ECONNRESET. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.fail(new Http1Error('request failed: the client was closed', 'ECONNRESET'));
    for (const connection of [...this.all]) connection.socket.destroy();
    this.idle.length = 0;
  }

  /** @internal A connection finished an exchange and may be reused. */
  release(connection: Connection): void {
    this.idle.push(connection);
    this.waiting.shift()?.start();
  }

  /** @internal A connection closed. */
  forget(connection: Connection): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
    if (!this.closed) this.waiting.shift()?.start();
  }

  private take(): Connection {
    while (this.idle.length > 0) {
      const connection = this.idle.pop()!;
      if (!connection.closed && !connection.busy) return connection;
    }
    const connection = new Connection(this, this.host, this.port);
    this.all.add(connection);
    return connection;
  }

  private head(request: Http1Request): string {
    if (/[\s]/.test(request.path) || !/^[A-Z]+$/.test(request.method)) {
      throw new Http1Error(`invalid request line ${JSON.stringify(`${request.method} ${request.path}`)}`, 'ERR_UNESCAPED_CHARACTERS');
    }
    let head = `${request.method} ${request.path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nConnection: keep-alive\r\n`;
    for (const name in request.headers) {
      const value = request.headers[name]!;
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Http1Error(`invalid header ${JSON.stringify(name)}`, 'ERR_INVALID_CHAR');
      head += `${name}: ${value}\r\n`;
    }
    const body = request.body;
    if (body !== undefined || request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH') {
      head += `Content-Length: ${body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length}\r\n`;
    }
    return `${head}\r\n`;
  }
}

/** One pool per origin (`host:port`), created on first use. */
export class Http1Pools {
  private readonly pools = new Map<string, Http1Pool>();
  constructor(private readonly maxSockets = 32) {}

  for(host: string, port: number): Http1Pool {
    const key = `${host}:${port}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Http1Pool({ host, port, maxSockets: this.maxSockets });
      this.pools.set(key, pool);
    }
    return pool;
  }

  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }
}
