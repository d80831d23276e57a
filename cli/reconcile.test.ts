import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { reconcileFacts, type ReconcileFacts } from './reconcile.ts';

const day = '2026-12-01';
const now = new Date('2026-12-01T12:00:00.000Z');
const at = '2026-12-01T10:00:00.000Z';
const object = (key: string, lastModified = at) => ({ key, lastModified, size: 1 });
const event = (type: string, data: object, correlationid = 'cycle-20261201-060', id = `${type}-${Math.random()}`) =>
  ({ id, type, time: at, correlationid, causationid: 'c', source: 'test', data }) as unknown as CometEvent;

/** A healthy file: uploaded, catalogued, announced, archived (and removed from the inbox). */
const healthy = (): ReconcileFacts => ({
  day,
  bucketNames: { inbox: 'i', quarantine: 'q', archive: 'a', products: 'p', distribution: 'd' },
  objects: {
    inbox: [],
    quarantine: [],
    archive: [object('arch/f1.nc')],
    products: [object('prod/p1.json'), object('prod/p1.manifest.json')],
    distribution: [object('dist/p1.json')],
  },
  uploads: [],
  catalog: [{ key: 'eumetsat/f1.nc', registeredAt: at, published: true }],
  events: [
    event(EventTypes.fileAvailable, { file: { bucket: 'i', key: 'eumetsat/f1.nc' } }),
    event(EventTypes.fileIngested, {
      source: { bucket: 'i', key: 'eumetsat/f1.nc' },
      ingested: { bucket: 'a', key: 'arch/f1.nc' },
      attributes: { kind: 'lightning' },
    }),
    event(EventTypes.processingRequested, {}, 'cycle-20261201-060', 'request-1'),
    event(EventTypes.productGenerated, {
      productId: 'p1',
      product: { bucket: 'p', key: 'prod/p1.json' },
      manifest: { bucket: 'p', key: 'prod/p1.manifest.json' },
    }),
    event(EventTypes.productDelivered, { productId: 'p1', distributed: [{ bucket: 'd', key: 'dist/p1.json' }] }),
  ],
});

describe('reconcileFacts', () => {
  it('finds nothing on a healthy day', () => {
    expect(reconcileFacts(healthy(), { now, graceSeconds: 900 })).toEqual([]);
  });

  it('finds an object planted only in the archive and an open multipart upload, each with its key', () => {
    // Prepare
    const facts = healthy();
    const planted = {
      ...facts,
      objects: { ...facts.objects, archive: [...facts.objects.archive, object('planted/x.nc')] },
      uploads: [{ bucket: 'inbox' as const, key: 'eumetsat/big.grib', uploadId: 'u1', initiated: at }],
    };

    // Act
    const findings = reconcileFacts(planted, { now, graceSeconds: 900 });

    // Assess
    expect(findings.map((f) => [f.check, f.where, f.key])).toEqual([
      ['only-in-archive', 'archive', 'planted/x.nc'],
      ['multipart-open', 'inbox', 'eumetsat/big.grib'],
    ]);
  });

  it('reports an inbox object whose archived copy exists as what retention should have removed', () => {
    const facts = healthy();
    const retained = { ...facts, objects: { ...facts.objects, inbox: [object('eumetsat/f1.nc')] } };
    expect(reconcileFacts(retained, { now, graceSeconds: 900, inboxRetentionSeconds: 0 }).map((f) => f.check)).toEqual([
      'retained-in-inbox',
    ]);
    // Within the time the policy lets it stay, it is not overdue.
    expect(reconcileFacts(retained, { now, graceSeconds: 900, inboxRetentionSeconds: 86_400 })).toEqual([]);
  });

  it('finds accepted files never ingested, products never delivered, and leaves what is in flight alone', () => {
    // Prepare
    const facts = healthy();
    const young = new Date(now.getTime() - 60_000).toISOString();
    const broken = {
      ...facts,
      events: [
        ...facts.events.filter((e) => e.type !== EventTypes.productDelivered),
        event(EventTypes.fileAvailable, { file: { bucket: 'i', key: 'eumetsat/f2.nc' } }),
        { ...event(EventTypes.fileAvailable, { file: { bucket: 'i', key: 'eumetsat/f3.nc' } }), time: young },
      ],
      objects: { ...facts.objects, distribution: [] },
    };

    // Act
    const findings = reconcileFacts(broken, { now, graceSeconds: 900 });

    // Assess: f3 is younger than the grace: in flight.
    expect(findings.map((f) => [f.check, f.key])).toEqual([
      ['accepted-not-ingested', 'eumetsat/f2.nc'],
      ['generated-not-delivered', 'p1'],
    ]);
  });

  it('finds a cycle whose 41 files were ingested but nothing requested for it', () => {
    // Prepare
    const chunks = Array.from({ length: 41 }, (_, i) =>
      event(
        EventTypes.fileIngested,
        {
          source: { bucket: 'i', key: `c${i}` },
          ingested: { bucket: 'a', key: `arch/c${i}` },
          attributes: i === 40 ? { kind: 'imager-trailer' } : { kind: 'imager-chunk', chunk: i + 1 },
        },
        'cycle-20261201-061',
      ),
    );
    const facts = healthy();
    const complete = {
      ...facts,
      events: [...facts.events, ...chunks],
      objects: { ...facts.objects, archive: [...facts.objects.archive, ...chunks.map((_, i) => object(`arch/c${i}`))] },
    };

    // Act
    const findings = reconcileFacts(complete, { now, graceSeconds: 900 });

    // Assess
    expect(findings.map((f) => [f.check, f.key])).toEqual([['cycle-complete-not-processed', 'cycle-20261201-061']]);
  });
});
