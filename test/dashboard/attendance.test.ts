/**
 * Staff mark a booked appointment attended or no-show (or clear the mark) through the dashboard's route: the row,
 * who and when, one audit row per change, a live event; refused before the start, for a cancelled appointment, for
 * another office's staff (404) and for a value that is not one of the three.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLIENT_A, aUser, apiFor, seedClientData, signIn, type Api } from './support.js';

describe.each(BACKENDS)('appointment attendance (%s)', (backend) => {
  let app: TestApp;
  let staffA: Api;
  let staffB: Api;
  let staffAEmail: string;
  let customerId: number;
  let counter = 0;

  async function anAppointment(startAt: Date, status: 'booked' | 'cancelled' = 'booked'): Promise<number> {
    counter += 1;
    const now = app.clock.now();
    const row = await app.context.db
      .insertInto('appointments')
      .values({
        booking_id: `bk_attendance_${counter}`,
        client_id: CLIENT_A,
        customer_id: customerId,
        call_id: null,
        appointment_type: 'individual-return',
        start_at: startAt,
        end_at: new Date(startAt.getTime() + 3_600_000),
        block_end_at: new Date(startAt.getTime() + 3_600_000),
        status,
        created_at: now,
        updated_at: now,
        booked_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async function auditRows(id: number) {
    return app.context.db
      .selectFrom('audit')
      .selectAll()
      .where('target', '=', `appointment:${id}`)
      .where('action', '=', 'appointment.attendance')
      .orderBy('id')
      .execute();
  }

  beforeAll(async () => {
    app = await startTestApp(backend);
    customerId = (await seedClientData(app, CLIENT_A, '+12125550177')).customerId;
    staffAEmail = await aUser(app, 'staff', [CLIENT_A]);
    staffA = await signIn(app, staffAEmail);
    staffB = await signIn(app, await aUser(app, 'staff', ['desert-bookkeeping']));
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('marks a past appointment attended, then no-show, then clears it, with who, when and an audit row per change', async () => {
    const id = await anAppointment(new Date(app.clock.now().getTime() - 2 * 3_600_000));
    const attended = await staffA.request('POST', `/v1/api/appointments/${id}/attendance`, { attendance: 'attended' });
    expect(attended.status, JSON.stringify(attended.body)).toBe(200);
    expect(attended.body).toMatchObject({ changed: true, appointment: { id, attendance: 'attended', attendanceMarkedBy: staffAEmail } });
    const row = await app.context.db.selectFrom('appointments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.attendance).toBe('attended');
    expect(row.attendance_marked_at?.getTime()).toBe(app.clock.now().getTime());

    // The same mark again changes nothing and writes no second audit row.
    const again = await staffA.request('POST', `/v1/api/appointments/${id}/attendance`, { attendance: 'attended' });
    expect(again.body).toMatchObject({ changed: false });

    await staffA.request('POST', `/v1/api/appointments/${id}/attendance`, { attendance: 'no_show' });
    const cleared = await staffA.request('POST', `/v1/api/appointments/${id}/attendance`, { attendance: null });
    expect(cleared.body).toMatchObject({ changed: true, appointment: { attendance: null, attendanceMarkedBy: null } });

    const audit = await auditRows(id);
    expect(audit.map((entry) => [entry.before, entry.after])).toEqual([
      [{ attendance: null }, { attendance: 'attended' }],
      [{ attendance: 'attended' }, { attendance: 'no_show' }],
      [{ attendance: 'no_show' }, { attendance: null }],
    ]);
    expect(audit.every((entry) => entry.actor === staffAEmail)).toBe(true);
  });

  it('refuses a mark before the appointment starts and on a cancelled appointment (409, nothing written)', async () => {
    const future = await anAppointment(new Date(app.clock.now().getTime() + 3_600_000));
    const early = await staffA.request('POST', `/v1/api/appointments/${future}/attendance`, { attendance: 'no_show' });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ error: 'not_started' });
    const cancelled = await anAppointment(new Date(app.clock.now().getTime() - 3_600_000), 'cancelled');
    const refused = await staffA.request('POST', `/v1/api/appointments/${cancelled}/attendance`, { attendance: 'attended' });
    expect(refused.status).toBe(409);
    for (const id of [future, cancelled]) {
      const row = await app.context.db.selectFrom('appointments').select('attendance').where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.attendance).toBeNull();
      expect(await auditRows(id)).toEqual([]);
    }
  });

  it("answers another office's staff 404 and a bad value 400, changing nothing", async () => {
    const id = await anAppointment(new Date(app.clock.now().getTime() - 3_600_000));
    expect((await staffB.request('POST', `/v1/api/appointments/${id}/attendance`, { attendance: 'attended' })).status).toBe(404);
    expect((await apiFor(app).request('POST', `/v1/api/appointments/${id}/attendance`, { attendance: 'attended' })).status).toBe(401);
    for (const body of [{ attendance: 'held' }, {}, { attendance: 1 }, 'attended']) {
      const answer = await staffA.request('POST', `/v1/api/appointments/${id}/attendance`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(answer.body)).toMatch(typeof body === 'object' ? /attendance/ : /expected object/);
    }
    expect(await auditRows(id)).toEqual([]);
  });
});
