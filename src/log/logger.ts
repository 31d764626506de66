/**
 * The process logger: pino, JSON lines, with every record passed through the PII masker. Masking happens in the
 * `logMethod` hook (merge object and message) and on child bindings, because pino applies `formatters.log` before
 * serializers and skips `formatters.bindings` for children created without options.
 */
import { hostname } from 'node:os';
import { format } from 'node:util';
import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type LogFn } from 'pino';
import { maskField, maskText, maskValue } from './mask.js';

export type Logger = pino.Logger;

export interface CreateLoggerOptions {
  level?: string;
  destination?: DestinationStream | NodeJS.WritableStream;
  base?: Record<string, unknown>;
}

type Serializer = (value: unknown) => unknown;

const maskingSerializers = new WeakSet<Serializer>();

/** Runs a serializer, then masks its output as the value of `key`, so vendor serializers (Fastify's req) cannot leak. */
function maskingSerializer(key: string, serializer: Serializer): Serializer {
  if (maskingSerializers.has(serializer)) return serializer;
  const wrapped: Serializer = (value) => maskField(key, serializer(value));
  maskingSerializers.add(wrapped);
  return wrapped;
}

function serializeError(value: unknown): unknown {
  return value instanceof Error ? maskValue(value) : value;
}

function serializersOf(logger: Logger): Record<string, unknown> {
  const serializers = (logger as unknown as Record<symbol, Record<string, unknown> | undefined>)[pino.symbols.serializersSym];
  return serializers ?? {};
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Values under keys that have a serializer stay raw (the masking serializer masks its output); errors are masked
 * here because pino copies `err.message` into the record's `msg` before any serializer runs.
 */
function maskMergeObject(logger: Logger, value: object): unknown {
  if (value instanceof Error) return { err: maskValue(value) };
  if (!isPlainObject(value)) return maskValue(value);
  const serializers = serializersOf(logger);
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    const serializedLater = typeof serializers[key] === 'function' && key !== 'err' && !(entry instanceof Error);
    result[key] = serializedLater ? entry : maskField(key, entry);
  }
  return result;
}

/** Formats `msg %s` templates before masking, so a phone passed as a parameter is masked in the final text. */
function maskMessage(parts: readonly unknown[]): unknown[] {
  const [message, ...params] = parts;
  if (parts.length === 0) return [];
  if (typeof message !== 'string') return parts.map((part) => maskValue(part));
  const formatted = params.length === 0 ? message : format(message, ...params.map((param) => maskValue(param)));
  return [maskText(formatted)];
}

function maskArguments(logger: Logger, args: readonly unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (first !== null && typeof first === 'object') return [maskMergeObject(logger, first), ...maskMessage(rest)];
  return maskMessage(args);
}

function maskBindings(bindings: Bindings): Bindings {
  const result: Bindings = {};
  for (const [key, value] of Object.entries(bindings)) result[key] = maskField(key, value);
  return result;
}

function maskChildOptions(options: ChildLoggerOptions<string>): ChildLoggerOptions<string> {
  const masked: ChildLoggerOptions<string> = { ...options };
  if (options.serializers) {
    masked.serializers = Object.fromEntries(Object.entries(options.serializers).map(([key, serializer]) => [key, maskingSerializer(key, serializer)]));
  }
  if (typeof options.msgPrefix === 'string') masked.msgPrefix = maskText(options.msgPrefix);
  return masked;
}

/**
 * Children are `Object.create(parent)` in pino, so overriding `child`/`setBindings` on the root covers every
 * descendant, including Fastify's per-request child that carries `reqId`.
 */
function maskDescendants(root: Logger): void {
  const originalChild = root.child;
  const originalSetBindings = root.setBindings;
  root.child = function maskedChild(this: Logger, bindings: Bindings, options?: ChildLoggerOptions<string>) {
    return originalChild.call(this, maskBindings(bindings), options && maskChildOptions(options));
  } as Logger['child'];
  root.setBindings = function maskedSetBindings(this: Logger, bindings: Bindings) {
    originalSetBindings.call(this, maskBindings(bindings));
  };
}

/** A JSON logger whose every record (message, merged objects, errors, bindings) is PII-masked. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid, hostname: hostname(), ...options.base },
    serializers: { err: maskingSerializer('err', serializeError) },
    formatters: {
      bindings: (bindings) => maskBindings(bindings),
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, maskArguments(this, args) as Parameters<LogFn>);
      },
    },
  };
  const logger = options.destination === undefined ? pino(pinoOptions) : pino(pinoOptions, options.destination);
  maskDescendants(logger);
  return logger;
}

/** A logger that writes nothing, for tests and one-shot CLI checks. */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent' });
}
