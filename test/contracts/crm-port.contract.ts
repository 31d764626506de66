/**
 * The contract every CrmPort meets (src/crm/port.ts), run against each CRM's emulator: `describeCrmPortContract`
 * is called once per adapter (crm-port.zoho.test.ts, crm-port.hubspot.test.ts). The sync rules (src/crm/sync.ts)
 * rely on exactly these behaviours for "one lead per caller, one note per call": find by phone in any written
 * form and by e-mail, a create whose answer was lost found by the next attempt a retry interval later, notes
 * listed from the lead itself (so a lost note answer is found by its marker), a deleted lead reported as
 * CrmLeadGone, and token trouble classified so the outbox retries what can recover and stops on what cannot.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VendorError } from '../../src/core/errors.js';
import { callMarker } from '../../src/crm/note.js';
import { CrmLeadGone, type CrmPort, type NewLead } from '../../src/crm/port.js';

/** A lead as the vendor holds it, in our words (the emulator's record read back). */
export interface HeldLead {
  id: string;
  phone?: string;
  mobile?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  status?: string;
}

export interface CrmContractSubject {
  port: CrmPort;
  /** What the CRM holds now, read from the emulator (not through the port). */
  leads(): HeldLead[];
  notes(leadId: string): Array<{ id: string; content: string }>;
  /** A lead a person typed into the CRM by hand, bypassing our adapter. */
  addLeadByHand(lead: { lastName: string; phone?: string; mobile?: string; email?: string }): Promise<string>;
  deleteLeadByHand(id: string): void;
  /** New records stay invisible to search for this long (by the clock), as real CRM indexes lag. */
  setSearchLagMs(ms: number): void;
  /** The next create of a lead (or note) is carried out but its answer never arrives. */
  loseNextCreateAnswer(what: 'lead' | 'note'): void;
  /** The next request is refused by the CRM's rate limit. */
  rateLimitNext(): void;
  /** The office's credentials die for good (app removed, token revoked). */
  killCredentials(): void;
  /** Only CRMs with short-lived access tokens: the current one expires (the grant behind it stays valid). */
  expireAccessToken?(): void;
  advance(ms: number): void;
  reset(): Promise<void>;
}

export interface CrmContractWorld {
  subject: CrmContractSubject;
  close(): Promise<void>;
}

/** The shortest wait before a sync's next attempt at its default retry policy. */
const RETRY_INTERVAL_MS = 60_000;

export interface CrmContractOptions {
  /** Two status words this CRM accepts. */
  statuses: { first: string; second: string };
  /** The CRM hands out short-lived access tokens behind a lasting grant (Zoho); a static token (HubSpot) has none. */
  renewsAccessTokens: boolean;
}

export function describeCrmPortContract(name: string, start: () => Promise<CrmContractWorld>, options: CrmContractOptions): void {
  const { statuses } = options;
  const aNewLead = (overrides: Partial<NewLead> = {}): NewLead => ({
    phone: '+14155550102',
    lastName: 'Unknown caller +1…0102',
    status: statuses.first,
    smsOptedOut: false,
    ...overrides,
  });
  describe(`CrmPort contract: ${name}`, () => {
    let world: CrmContractWorld;
    let subject: CrmContractSubject;
    let port: CrmPort;
    beforeAll(async () => {
      world = await start();
      subject = world.subject;
      port = subject.port;
    });
    afterAll(async () => {
      await world?.close();
    });
    beforeEach(async () => {
      await subject.reset();
    });

    it("finds a lead a person typed with a formatted phone, or as a mobile, by the caller's E.164 number", async () => {
      const typed = await subject.addLeadByHand({ lastName: 'Rivera', phone: '(415) 555-0102' });
      const mobile = await subject.addLeadByHand({ lastName: 'Lee', mobile: '4155550177' });
      expect((await port.findLeadsByPhone('+14155550102')).map((lead) => lead.id)).toEqual([typed]);
      expect((await port.findLeadsByPhone('+14155550177')).map((lead) => lead.id)).toEqual([mobile]);
      expect(await port.findLeadsByPhone('+14155550199')).toEqual([]);
    });

    it('finds a lead by e-mail whatever its case, and nothing for an unknown address', async () => {
      const id = await subject.addLeadByHand({ lastName: 'Rivera', email: 'Dana.Rivera@Example.com' });
      expect((await port.findLeadsByEmail('dana.rivera@example.com')).map((lead) => lead.id)).toEqual([id]);
      expect(await port.findLeadsByEmail('nobody@example.com')).toEqual([]);
    });

    it('creates a lead with the stand-in name, the phone and the status, and reads its status back', async () => {
      const created = await port.createLead(aNewLead({ status: statuses.first }));
      expect(created.action).toBe('created');
      expect(subject.leads()).toEqual([
        expect.objectContaining({ id: created.id, phone: '+14155550102', lastName: 'Unknown caller +1…0102', status: statuses.first }),
      ]);
      expect(await port.getLead(created.id)).toMatchObject({ id: created.id, status: statuses.first });
      expect(await port.getLead(`${created.id}999`)).toBeUndefined();
    });

    it('a create whose answer was lost is found by the next attempt a retry interval later, not made twice', async () => {
      subject.setSearchLagMs(10_000);
      subject.loseNextCreateAnswer('lead');
      const lost = await port.createLead(aNewLead()).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(lost).toBeInstanceOf(VendorError);
      expect((lost as VendorError).retryable).toBe(true);
      expect(subject.leads()).toHaveLength(1);

      subject.advance(RETRY_INTERVAL_MS);
      const again = await port.createLead(aNewLead({ firstName: 'Dana', lastName: 'Rivera' }));
      expect(again.action).not.toBe('created');
      expect(subject.leads()).toEqual([expect.objectContaining({ id: again.id, firstName: 'Dana', lastName: 'Rivera' })]);
    });

    it('updates names, e-mail and status, and leaves the phone alone', async () => {
      const { id } = await port.createLead(aNewLead({ status: statuses.first }));
      await port.updateLead(id, { firstName: 'Dana', lastName: 'Rivera', email: 'dana@example.com', status: statuses.second, smsOptedOut: true });
      expect(subject.leads()).toEqual([
        expect.objectContaining({ id, phone: '+14155550102', firstName: 'Dana', lastName: 'Rivera', email: 'dana@example.com', status: statuses.second }),
      ]);
      expect(await port.getLead(id)).toMatchObject({ status: statuses.second });
    });

    it('updating a lead deleted in the CRM says so (CrmLeadGone), so the sync looks the caller up again', async () => {
      const { id } = await port.createLead(aNewLead());
      subject.deleteLeadByHand(id);
      await expect(port.updateLead(id, { firstName: 'Dana' })).rejects.toBeInstanceOf(CrmLeadGone);
    });

    it('adds a note to the lead and lists it from the lead; a note whose answer was lost is found by its marker', async () => {
      const { id } = await port.createLead(aNewLead());
      const first = await port.addNote(id, { title: 'AI receptionist call', content: `Summary: asked about an extension\n${callMarker('call_1')}` });
      subject.loseNextCreateAnswer('note');
      await expect(port.addNote(id, { title: 'AI receptionist call', content: `Summary: booked\n${callMarker('call_2')}` })).rejects.toBeInstanceOf(
        VendorError,
      );
      const listed = await port.listNotes(id);
      expect(listed.map((note) => note.id)).toContain(first.id);
      expect(listed.filter((note) => note.content.includes(callMarker('call_2')))).toHaveLength(1);
      expect(subject.notes(id)).toHaveLength(2);
    });

    it('a rate limit is a retryable vendor error, and the next call goes through', async () => {
      subject.rateLimitNext();
      const error = await port.findLeadsByPhone('+14155550102').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VendorError);
      expect((error as VendorError).retryable).toBe(true);
      expect(await port.findLeadsByPhone('+14155550102')).toEqual([]);
    });

    it('a healthy connection checks ok', async () => {
      expect(await port.checkConnection(null)).toMatchObject({ status: 'ok' });
    });

    it('dead credentials stop the work (not retryable, nothing written) and the connection check says broken', async () => {
      subject.killCredentials();
      const error = await port.createLead(aNewLead()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VendorError);
      expect((error as VendorError).retryable).toBe(false);
      expect(subject.leads()).toEqual([]);
      expect(await port.checkConnection(null)).toMatchObject({ status: 'broken' });
    });

    if (options.renewsAccessTokens) {
      it('an expired access token is renewed once and the call goes through', async () => {
        subject.expireAccessToken!();
        const { id } = await port.createLead(aNewLead());
        expect(subject.leads().map((lead) => lead.id)).toEqual([id]);
      });
    }
  });
}
