import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { parseFciName } from '#shared/conventions/mtg-fci.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { schedule, type Claim, type SchedulerDeps } from './logic.ts';
import type { Target } from './rules.ts';

const FCI_NAME = 'W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+FCI-1C-RRAD-FDHSI-FD--CHK-BODY---NC4E_C_EUMT_20261122101509_IDPFI_OPE_20261122101007_20261122101017_N_JLS_C_0061_0001.nc';

const fileAvailable = (): CometEvent<typeof EventTypes.fileAvailable> => wrap({
  type: EventTypes.fileAvailable, source: 'cometflow/intake', id: 'available-1', correlationId: 'cycle-20261122-061',
  data: {
    file: { bucket: 'cometflow-inbox', key: `eumetsat/${FCI_NAME}`, size: 1024, etag: 'etag-1' }, provider: 'eumetsat', name: FCI_NAME,
    attributes: parseFciName(FCI_NAME),
  },
});

const fileRejected = (): CometEvent<typeof EventTypes.fileRejected> => wrap({
  type: EventTypes.fileRejected, source: 'cometflow/intake', id: 'rejected-1', correlationId: 'upload-x',
  data: { file: { bucket: 'cometflow-inbox', key: 'x' }, quarantine: { bucket: 'cometflow-quarantine', key: 'x' }, code: 'bad-name', reason: 'bad' },
});

/**
 * In-memory scheduler effects: an event store (by id), a trigger table whose claims the test
 * can preset, and a log of every call in order.
 */
function fakeScheduler(preset: { claim?: Claim; stored?: string[] } = {}) {
  const calls: string[] = [];
  const store = new Set(preset.stored ?? []);
  const sent: { target: Target; command: CometEvent }[] = [];
  const deps: SchedulerDeps = {
    append: async (event) => {
      calls.push(`append ${event.type}`);
      if (store.has(event.id)) return false;
      store.add(event.id);
      return true;
    },
    claim: async (decision) => { calls.push(`claim ${decision.rule}`); return preset.claim ?? 'claimed'; },
    markSent: async (decision) => { calls.push(`markSent ${decision.rule}`); },
    send: async (target, command) => { calls.push(`send ${target}`); sent.push({ target, command }); },
  };
  return { deps, calls, store, sent };
}

describe('schedule', () => {
  it('stores the event, claims the trigger, sends the command, stores it, then marks it sent', async () => {
    // Prepare
    const fake = fakeScheduler();
    const event = fileAvailable();

    // Act
    const result = await schedule(event, fake.deps);

    // Assess
    expect(fake.calls).toEqual([
      `append ${EventTypes.fileAvailable}`,
      'claim ingest-every-available-file',
      'send ingest',
      `append ${EventTypes.ingestRequested}`,
      'markSent ingest-every-available-file',
    ]);
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]!.command).toMatchObject({ type: EventTypes.ingestRequested, causationid: event.id });
    expect(fake.store.has(fake.sent[0]!.command.id)).toBe(true);
    expect(result).toEqual({ stored: true, fired: [`ingest-every-available-file:eumetsat/${FCI_NAME}#etag-1`], skipped: [] });
  });

  it('skips a trigger whose command was sent already', async () => {
    // Prepare
    const fake = fakeScheduler({ claim: 'already-sent', stored: ['available-1'] });

    // Act
    const result = await schedule(fileAvailable(), fake.deps);

    // Assess
    expect(fake.sent).toEqual([]);
    expect(fake.calls).not.toContain('markSent ingest-every-available-file');
    expect(result).toEqual({ stored: false, fired: [], skipped: [`ingest-every-available-file:eumetsat/${FCI_NAME}#etag-1`] });
  });

  it('sends again, with the same command id, a trigger claimed earlier but never sent', async () => {
    // Prepare
    const first = fakeScheduler();
    await schedule(fileAvailable(), first.deps);
    const retry = fakeScheduler({ claim: 'claimed-earlier-unsent', stored: ['available-1'] });

    // Act
    const result = await schedule(fileAvailable(), retry.deps);

    // Assess
    expect(retry.sent).toHaveLength(1);
    expect(retry.sent[0]!.command.id).toBe(first.sent[0]!.command.id);
    expect(retry.calls).toContain('markSent ingest-every-available-file');
    expect(result.fired).toHaveLength(1);
    expect(result.stored).toBe(false);
  });

  it('does not mark a trigger sent when sending fails', async () => {
    // Prepare
    const fake = fakeScheduler();
    const deps: SchedulerDeps = { ...fake.deps, send: async () => { throw new Error('queue unavailable'); } };

    // Act
    const act = schedule(fileAvailable(), deps);

    // Assess
    await expect(act).rejects.toThrow('queue unavailable');
    expect(fake.calls).not.toContain('markSent ingest-every-available-file');
  });

  it('only stores an event that triggers nothing', async () => {
    // Prepare
    const fake = fakeScheduler();

    // Act
    const result = await schedule(fileRejected(), fake.deps);

    // Assess
    expect(fake.calls).toEqual([`append ${EventTypes.fileRejected}`]);
    expect(result).toEqual({ stored: true, fired: [], skipped: [] });
  });
});
