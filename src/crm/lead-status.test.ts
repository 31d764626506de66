import { describe, expect, it } from 'vitest';
import { clientConfigSchema } from '../config/client-schema.js';
import { readFileSync } from 'node:fs';
import { decideLeadStatus } from './lead-status.js';

const statusMap = clientConfigSchema.parse(JSON.parse(readFileSync('config/clients/smart-tax-nation.json', 'utf8'))).crm.statusMap;
const booked = { status: statusMap.booked, outcome: 'booked' as const };

describe('lead status only moves forward and leaves a status set in the CRM alone', () => {
  it('keeps a booked lead booked after a question-only call, without reading the lead', () => {
    expect(decideLeadStatus({ outcome: 'info_only', statusMap, last: booked })).toEqual({ action: 'keep', reason: 'behind' });
    expect(decideLeadStatus({ outcome: 'voicemail', statusMap, last: booked })).toEqual({ action: 'keep', reason: 'behind' });
  });

  it('moves forward, and between outcomes of one rank the latest wins, after checking nobody changed it', () => {
    const contacted = { status: statusMap.info_only, outcome: 'info_only' as const };
    expect(decideLeadStatus({ outcome: 'booked', statusMap, last: contacted })).toEqual({ action: 'read' });
    expect(decideLeadStatus({ outcome: 'booked', statusMap, last: contacted, current: statusMap.info_only })).toEqual({
      action: 'write',
      status: statusMap.booked,
      outcome: 'booked',
    });
    expect(decideLeadStatus({ outcome: 'cancelled', statusMap, last: booked, current: statusMap.booked })).toEqual({
      action: 'write',
      status: statusMap.cancelled,
      outcome: 'cancelled',
    });
    expect(decideLeadStatus({ outcome: 'callback_requested', statusMap, last: contacted, current: statusMap.info_only })).toMatchObject({ action: 'write' });
  });

  it('never writes over a status someone set in the CRM since our last write', () => {
    const contacted = { status: statusMap.info_only, outcome: 'info_only' as const };
    expect(decideLeadStatus({ outcome: 'booked', statusMap, last: contacted, current: 'Junk Lead' })).toEqual({ action: 'keep', reason: 'set_in_crm' });
    // Same word as our last write: nothing to write, and writing it would undo a change made since.
    expect(decideLeadStatus({ outcome: 'rescheduled', statusMap, last: booked })).toEqual({ action: 'keep', reason: 'unchanged' });
  });

  it('ranks by outcome, so a customised map keeps the order', () => {
    const custom = { ...statusMap, booked: 'Appointment set', rescheduled: 'Appointment set', info_only: 'Talked' };
    const last = { status: 'Appointment set', outcome: 'booked' as const };
    expect(decideLeadStatus({ outcome: 'info_only', statusMap: custom, last })).toEqual({ action: 'keep', reason: 'behind' });
  });

  it('on a lead with no recorded write: empty is written, our own words are ranked, any other word is kept', () => {
    expect(decideLeadStatus({ outcome: 'info_only', statusMap, last: null })).toEqual({ action: 'read' });
    expect(decideLeadStatus({ outcome: 'info_only', statusMap, last: null, current: null })).toMatchObject({ action: 'write' });
    expect(decideLeadStatus({ outcome: 'info_only', statusMap, last: null, current: statusMap.booked })).toEqual({ action: 'keep', reason: 'behind' });
    expect(decideLeadStatus({ outcome: 'booked', statusMap, last: null, current: statusMap.info_only })).toMatchObject({ action: 'write' });
    expect(decideLeadStatus({ outcome: 'booked', statusMap, last: null, current: 'Qualified' })).toEqual({ action: 'keep', reason: 'set_in_crm' });
  });

  it('an opt-out sync carries no outcome and never touches the status', () => {
    expect(decideLeadStatus({ outcome: null, statusMap, last: booked, current: 'x' })).toEqual({ action: 'keep', reason: 'no_outcome' });
  });
});
