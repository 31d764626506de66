/**
 * Issue 14, item 3: sign-in limits that a guesser cannot reset by sending a fresh X-Forwarded-For, that hold
 * per account (exponential back-off, in the Activity log), per address and globally, across instances, and
 * scrypt at OWASP's figure with a re-hash of older hashes at the next sign-in.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD_COST, hashPassword, verifyPassword } from '../../src/dashboard/auth/password.js';
import { SIGN_IN_LIMITS } from '../../src/dashboard/auth/sign-in-limits.js';
import { setUserPassword } from '../../src/dashboard/auth/users.js';
import { SIGN_IN_LIMIT_ACTOR } from '../../src/dashboard/auth/sign-in.js';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, aUser, apiFor, type Api } from './support.js';

const MINUTE = 60_000;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

function attempt(app: TestApp, email: string, password: string, headers: Record<string, string> = {}): Promise<Answer> {
  return apiFor(app).request('POST', '/v1/api/session', { email, password }, headers);
}

/** How many attempts reached the password check (401) and how many a limit refused (429). */
function tally(answers: Answer[]): { checked: number; refused: number; other: number } {
  return {
    checked: answers.filter((answer) => answer.status === 401).length,
    refused: answers.filter((answer) => answer.status === 429).length,
    other: answers.filter((answer) => answer.status !== 401 && answer.status !== 429).length,
  };
}

const randomAddress = (index: number) => `198.18.${(index >> 8) & 255}.${index & 255}`;

/** Signs in through the trusted proxy from `address`, as a browser behind it would. */
async function signInVia(app: TestApp, email: string, address: string): Promise<Api> {
  const response = await attempt(app, email, PASSWORD, { 'x-forwarded-for': address });
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(response.body)}`);
  return apiFor(app, (response.headers.get('set-cookie') ?? '').split(';')[0]);
}

describe.each(BACKENDS)('sign-in limits with TRUST_PROXY unset (%s)', (backend) => {
  // Every request here comes from 127.0.0.1, so the per-instance flood guard (60 requests a minute per address,
  // real time) is shared by the tests: the 300-guess drill goes last, after the tests that need every request checked.
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend);
  });
  afterAll(async () => {
    await app?.dispose();
  });
  beforeEach(async () => {
    await app.context.db.deleteFrom('sign_in_limits').execute();
  });

  it('does not believe X-Forwarded-Proto from a peer it does not trust', async () => {
    const email = await aUser(app, 'staff', ['smart-tax-nation']);
    const response = await attempt(app, email, PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).not.toMatch(/Secure/i);
  });

  it('a fresh X-Forwarded-For per guess does not reset the address limit (20 wrong e-mails, then refused)', async () => {
    const answers: Answer[] = [];
    for (let index = 0; index < 30; index += 1) {
      answers.push(await attempt(app, `nobody-${index}@example.com`, 'Winter2026!', { 'x-forwarded-for': randomAddress(index) }));
    }
    expect(tally(answers)).toEqual({ checked: SIGN_IN_LIMITS.address.max, refused: 10, other: 0 });
    expect(answers.at(-1)!.body.message).toMatch(/Too many sign-in attempts from this address/);
    expect(Number(answers.at(-1)!.headers.get('retry-after'))).toBeGreaterThan(0);
    const audit = await app.context.db.selectFrom('audit').selectAll().where('action', '=', 'session.address_limit').execute();
    expect(audit.map((row) => row.target)).toEqual(['address:127.0.0.1']);
  });

  it('300 simultaneous guesses at one account, each with a fresh X-Forwarded-For, check the password only 5 times', async () => {
    const email = await aUser(app, 'staff', ['smart-tax-nation']);
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, index) => attempt(app, email, `guess-${index}`, { 'x-forwarded-for': randomAddress(index) })),
    );
    expect(tally(answers)).toEqual({ checked: SIGN_IN_LIMITS.account.freeFailures, refused: 295, other: 0 });
    expect((await attempt(app, email, PASSWORD, { 'x-forwarded-for': randomAddress(999) })).status).toBe(429);
  });
});

describe.each(BACKENDS)('sign-in limits with TRUST_PROXY naming other proxies (%s)', (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend, { env: { TRUST_PROXY: '10.0.0.0/8,192.168.0.0/16' } });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('ignores X-Forwarded-For from a loopback peer that is not in the list', async () => {
    const answers: Answer[] = [];
    for (let index = 0; index < 25; index += 1) {
      answers.push(await attempt(app, `nobody-${index}@example.com`, 'Winter2026!', { 'x-forwarded-for': randomAddress(index) }));
    }
    expect(tally(answers)).toEqual({ checked: SIGN_IN_LIMITS.address.max, refused: 5, other: 0 });
  });
});

describe.each(BACKENDS)('sign-in limits behind one trusted proxy hop, TRUST_PROXY=1 (%s)', (backend) => {
  let app: TestApp;
  /** A second instance on the same database, hashing at the production cost. */
  let second: TestApp;
  let admin: Api;
  let clientCounter = 0;
  /** A client address of its own for each test (as the proxy appends it), so tests do not share a flood guard. */
  const nextClient = () => `203.0.113.${(clientCounter += 1)}`;

  beforeAll(async () => {
    app = await startTestApp(backend, { env: { TRUST_PROXY: '1' } });
    second = await startTestApp(backend, { env: { TRUST_PROXY: '1' }, database: app.database, clock: app.clock, passwordCost: PASSWORD_COST });
  });
  afterAll(async () => {
    await second?.close();
    await app?.dispose();
  });
  beforeEach(async () => {
    await app.context.db.deleteFrom('sign_in_limits').execute();
    admin = await signInVia(app, await aUser(app, 'admin'), nextClient());
  });

  it('believes only the entry the proxy added: 300 guesses with forged entries in front are limited by the real address', async () => {
    const client = nextClient();
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, index) =>
        attempt(app, `target-${index}@example.com`, 'Winter2026!', { 'x-forwarded-for': `${randomAddress(index)}, ${client}` }),
      ),
    );
    expect(tally(answers)).toEqual({ checked: SIGN_IN_LIMITS.address.max, refused: 280, other: 0 });
    // Another real client behind the same proxy is not affected.
    expect((await attempt(app, 'someone@example.com', 'x-wrong-password', { 'x-forwarded-for': nextClient() })).status).toBe(401);
  });

  it('one password against 30 e-mails from one address is limited after 20', async () => {
    const client = nextClient();
    const answers: Answer[] = [];
    for (let index = 0; index < 30; index += 1) {
      answers.push(await attempt(app, `staff${index}@office.example`, 'Spring2026!', { 'x-forwarded-for': client }));
    }
    expect(tally(answers)).toEqual({ checked: 20, refused: 10, other: 0 });
  });

  it('backs an account off exponentially after 5 failures, from any address, and shows it in the Activity log', async () => {
    const email = await aUser(app, 'staff', ['smart-tax-nation']);
    const user = await app.context.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    const start = app.clock.now().getTime();
    const statuses: number[] = [];
    for (let index = 0; index < 7; index += 1) statuses.push((await attempt(app, email, `guess-${index}`, { 'x-forwarded-for': nextClient() })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const locked = await attempt(app, email, PASSWORD, { 'x-forwarded-for': nextClient() });
    expect(locked.status).toBe(429);
    expect(locked.body.message).toMatch(/Too many failed sign-ins for this e-mail. Wait 1 minute/);
    expect(locked.headers.get('retry-after')).toBe('60');

    // After the minute one more guess is checked; it fails, and the next lock is twice as long.
    app.clock.advance(MINUTE);
    expect((await attempt(app, email, 'guess-again', { 'x-forwarded-for': nextClient() })).status).toBe(401);
    const longer = await attempt(app, email, PASSWORD, { 'x-forwarded-for': nextClient() });
    expect(longer.status).toBe(429);
    expect(longer.headers.get('retry-after')).toBe('120');

    const audit = await admin.request('GET', `/v1/api/audit?action=session.lockout`);
    expect(audit.status).toBe(200);
    const rows = (audit.body.entries as Array<{ actor: string; action: string; target: string; after: any }>).filter((row) => row.target === `user:${user.id}`);
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => row.actor)).toEqual([SIGN_IN_LIMIT_ACTOR, SIGN_IN_LIMIT_ACTOR]);
    // Newest first: the 2-minute lock from the sixth failure, then the 1-minute lock from the fifth.
    expect(rows[0]!.after).toMatchObject({ email, lockedUntil: new Date(start + MINUTE + 2 * MINUTE).toISOString() });
    expect(rows[1]!.after).toMatchObject({ email, lockedUntil: new Date(start + MINUTE).toISOString() });

    // After the lock, the right password signs in and clears the count.
    app.clock.advance(2 * MINUTE);
    expect((await attempt(app, email, PASSWORD, { 'x-forwarded-for': nextClient() })).status).toBe(200);
    expect((await attempt(app, email, 'one-typo', { 'x-forwarded-for': nextClient() })).status).toBe(401);
  });

  it('a new password (switchboard user reset-password) lifts the lock at once', async () => {
    const email = await aUser(app, 'staff', ['smart-tax-nation']);
    for (let index = 0; index < 5; index += 1) await attempt(app, email, `guess-${index}`, { 'x-forwarded-for': nextClient() });
    expect((await attempt(app, email, PASSWORD, { 'x-forwarded-for': nextClient() })).status).toBe(429);
    await setUserPassword(app.context.db, app.clock, email, 'a brand new password', 'test', app.context.passwordCost);
    expect((await attempt(app, email, 'a brand new password', { 'x-forwarded-for': nextClient() })).status).toBe(200);
  });

  it('an unknown e-mail is locked exactly like a real one, and writes no Activity row', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 6; index += 1)
      statuses.push((await attempt(app, 'nobody@example.com', `guess-${index}`, { 'x-forwarded-for': nextClient() })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const audit = await admin.request('GET', `/v1/api/audit?action=session.lockout`);
    expect(JSON.stringify(audit.body.entries)).not.toContain('nobody@example.com');
  });

  it('a global ceiling stops a spray from 100 addresses at 100 e-mails, and lifts after the minute', async () => {
    const globalRows = async () => (await admin.request('GET', '/v1/api/audit?action=session.global_limit')).body.entries.length as number;
    const rowsBefore = await globalRows();
    const answers: Answer[] = [];
    for (let index = 0; index < SIGN_IN_LIMITS.global.max + 1; index += 1) {
      answers.push(await attempt(app, `spray-${index}@example.com`, 'Password1!', { 'x-forwarded-for': randomAddress(index) }));
    }
    expect(tally(answers)).toEqual({ checked: SIGN_IN_LIMITS.global.max, refused: 1, other: 0 });
    expect(answers.at(-1)!.body.message).toMatch(/Too many failed sign-ins on this server/);
    expect((await globalRows()) - rowsBefore).toBe(1);
    app.clock.advance(MINUTE);
    expect((await attempt(app, 'spray-late@example.com', 'Password1!', { 'x-forwarded-for': randomAddress(500) })).status).toBe(401);
  });

  it('a successful sign-in gives its attempt back to the address, so an office behind one address is not locked out', async () => {
    const office = nextClient();
    for (let index = 0; index < 40; index += 1) {
      const email = await aUser(app, 'staff', ['smart-tax-nation']);
      expect((await attempt(app, email, PASSWORD, { 'x-forwarded-for': office })).status).toBe(200);
    }
    expect((await attempt(app, 'typo@example.com', 'nope-nope', { 'x-forwarded-for': office })).status).toBe(401);
  });

  it('believes X-Forwarded-Proto from the trusted hop: the cookie is Secure', async () => {
    const email = await aUser(app, 'staff', ['smart-tax-nation']);
    const response = await attempt(app, email, PASSWORD, {
      'x-forwarded-for': nextClient(),
      'x-forwarded-proto': 'https',
      origin: `https://${new URL(app.url!).host}`,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(/Secure/i);
  });

  it('an account locks after 5 failures spread over two instances', async () => {
    const email = await aUser(app, 'staff', ['smart-tax-nation']);
    const statuses: number[] = [];
    for (let index = 0; index < 8; index += 1) {
      statuses.push((await attempt(index % 2 === 0 ? app : second, email, `guess-${index}`, { 'x-forwarded-for': nextClient() })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
  });

  it('hashes new passwords at the production cost, scrypt N=2^17, r=8, p=1', async () => {
    const email = await aUser(second, 'staff', ['smart-tax-nation']);
    const user = await second.context.db.selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow();
    expect(user.password_hash.split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
    expect(await verifyPassword(PASSWORD, user.password_hash)).toBe(true);
  });

  it('re-hashes a password stored with the old parameters (N=2^14) at the next sign-in', async () => {
    const email = await aUser(second, 'staff', ['smart-tax-nation']);
    const oldHash = await hashPassword(PASSWORD, { N: 2 ** 14, r: 8, p: 1 });
    await second.context.db.updateTable('users').set({ password_hash: oldHash }).where('email', '=', email).execute();
    const wrong = await attempt(second, email, 'not the password', { 'x-forwarded-for': nextClient() });
    expect(wrong.status).toBe(401);
    const unchanged = await second.context.db.selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow();
    expect(unchanged.password_hash).toBe(oldHash);

    const api = await signInVia(second, email, nextClient());
    expect((await api.request('GET', '/v1/api/me')).status).toBe(200);
    const after = await second.context.db.selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow();
    expect(after.password_hash).not.toBe(oldHash);
    expect(after.password_hash.split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
    expect(await verifyPassword(PASSWORD, after.password_hash)).toBe(true);
    await signInVia(second, email, nextClient());
  });
});
