import { describe, expect, it } from 'vitest';
import { classifyInbound } from './inbound.js';
import { smsSegments } from './segments.js';

describe('segments', () => {
  it('counts GSM-7 at 160 then 153 per part, extension characters twice', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161)).segments).toBe(2);
    expect(smsSegments('[]'.repeat(40) + 'a')).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
  });

  it('switches to UCS-2 (70, then 67 per part) for a curly quote or an emoji', () => {
    expect(smsSegments('You’re booked')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(smsSegments('🙂' + 'a'.repeat(69)).segments).toBe(2);
  });
});

describe('inbound text intent', () => {
  it('recognises the opt-out, opt-in and help keywords alone, in any case', () => {
    expect(['STOP', ' stop ', 'Unsubscribe', 'optout', 'Quit.', 'STOPALL'].map(classifyInbound)).toEqual(Array(6).fill('stop'));
    expect(['start', 'UNSTOP'].map(classifyInbound)).toEqual(['start', 'start']);
    expect(['help', 'INFO'].map(classifyInbound)).toEqual(['help', 'help']);
  });

  it('treats plain-language revocations as opt-outs and anything else as a message', () => {
    expect(classifyInbound("Please don't text me anymore")).toBe('revocation');
    expect(classifyInbound('stop texting me')).toBe('revocation');
    expect(classifyInbound('Can I come at 3 instead?')).toBe('message');
    expect(classifyInbound('I will stop by tomorrow')).toBe('message');
  });
});
