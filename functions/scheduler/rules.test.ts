import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent, type FileAttributes } from '#events/registry.ts';
import { parseEcmwfName } from '#shared/conventions/ecmwf.ts';
import { parseFciName } from '#shared/conventions/mtg-fci.ts';
import { wrap } from '#shared/envelope/envelope.ts';
import { commandId, decide } from './rules.ts';

const FCI_NAME = 'W_XX-EUMETSAT-Darmstadt,IMG+SAT,MTI1+FCI-1C-RRAD-FDHSI-FD--CHK-BODY---NC4E_C_EUMT_20261122101509_IDPFI_OPE_20261122101007_20261122101017_N_JLS_C_0061_0001.nc';
const SHA = (c: string): string => c.repeat(64);

const chunkAttributes: FileAttributes = parseFciName(FCI_NAME);
const forecastAttributes: FileAttributes = parseEcmwfName('S1D11221200112218001', new Date('2026-11-22T13:00:00Z'));

const fileAvailable = (etag = 'etag-1'): CometEvent<typeof EventTypes.fileAvailable> => wrap({
  type: EventTypes.fileAvailable, source: 'cometflow/intake', id: 'available-1', correlationId: 'cycle-20261122-061',
  data: { file: { bucket: 'cometflow-inbox', key: `eumetsat/${FCI_NAME}`, size: 1024, etag }, provider: 'eumetsat', name: FCI_NAME, attributes: chunkAttributes },
});

const fileIngested = (attributes: FileAttributes = chunkAttributes): CometEvent<typeof EventTypes.fileIngested> => wrap({
  type: EventTypes.fileIngested, source: 'cometflow/ingest', id: 'ingested-1', correlationId: 'cycle-20261122-061',
  data: {
    source: { bucket: 'cometflow-inbox', key: `eumetsat/${FCI_NAME}`, size: 1024, etag: 'etag-1' },
    ingested: { bucket: 'cometflow-archive', key: `eumetsat/2026/11/22/${FCI_NAME}`, size: 1024, sha256: SHA('a') },
    provider: 'eumetsat', name: FCI_NAME, attributes,
  },
});

const productGenerated = (): CometEvent<typeof EventTypes.productGenerated> => wrap({
  type: EventTypes.productGenerated, source: 'cometflow/process', id: 'generated-1', correlationId: 'cycle-20261122-061',
  data: {
    productId: '0123456789abcdef0123456789abcdef', productType: 'fci-chunk-statistics', algorithm: 'byte-statistics',
    product: { bucket: 'cometflow-products', key: 'p/c/0123456789abcdef0123456789abcdef.json', size: 10, sha256: SHA('b') },
    manifest: { bucket: 'cometflow-products', key: 'p/c/0123456789abcdef0123456789abcdef.manifest.json' },
    inputCount: 1,
  },
});

describe('decide', () => {
  it('asks ingest to take in every available file, keyed by key and ETag', () => {
    // Prepare
    const event = fileAvailable();

    // Act
    const decisions = decide(event);

    // Assess
    expect(decisions).toHaveLength(1);
    const [decision] = decisions;
    const key = `eumetsat/${FCI_NAME}#etag-1`;
    expect(decision).toMatchObject({ rule: 'ingest-every-available-file', key, target: 'ingest' });
    expect(decision!.command).toMatchObject({
      type: EventTypes.ingestRequested, source: 'cometflow/scheduler', subject: `eumetsat/${FCI_NAME}`,
      id: commandId('ingest-every-available-file', key), correlationid: event.correlationid, causationid: event.id,
      data: event.data,
    });
  });

  it('asks process to compute chunk statistics for an ingested imager chunk', () => {
    // Prepare
    const event = fileIngested();

    // Act
    const [decision] = decide(event);

    // Assess
    expect(decision).toMatchObject({ rule: 'process-every-ingested-file', key: `eumetsat/2026/11/22/${FCI_NAME}#${SHA('a')}`, target: 'process-realtime' });
    expect(decision!.command).toMatchObject({
      type: EventTypes.processingRequested, subject: FCI_NAME, correlationid: event.correlationid, causationid: event.id,
      data: {
        algorithm: 'byte-statistics', productType: 'fci-chunk-statistics', degraded: false, missing: [],
        inputs: [{ ...event.data.ingested, name: FCI_NAME }],
      },
    });
  });

  it('asks process for forecast statistics for an ingested forecast', () => {
    // Act
    const [decision] = decide(fileIngested(forecastAttributes));

    // Assess
    expect(decision!.command.data).toMatchObject({ algorithm: 'byte-statistics', productType: 'forecast-statistics' });
  });

  it('asks deliver to deliver every generated product, keyed by product id', () => {
    // Prepare
    const event = productGenerated();

    // Act
    const [decision] = decide(event);

    // Assess
    expect(decision).toMatchObject({ rule: 'deliver-every-product', key: event.data.productId, target: 'deliver' });
    expect(decision!.command).toMatchObject({
      type: EventTypes.deliveryRequested, subject: event.data.productId, causationid: event.id,
      data: { productId: event.data.productId, productType: event.data.productType, product: event.data.product, manifest: event.data.manifest },
    });
  });

  it('decides nothing on file.rejected and product.delivered', () => {
    // Prepare
    const rejected = wrap({
      type: EventTypes.fileRejected, source: 'cometflow/intake', correlationId: 'upload-x',
      data: { file: { bucket: 'cometflow-inbox', key: 'x' }, quarantine: { bucket: 'cometflow-quarantine', key: 'x' }, code: 'bad-name', reason: 'bad' },
    });
    const delivered = wrap({
      type: EventTypes.productDelivered, source: 'cometflow/deliver', correlationId: 'cycle-20261122-061',
      data: { productId: '0123456789abcdef0123456789abcdef', productType: 'p', distributed: [{ bucket: 'cometflow-distribution', key: 'k' }] },
    });

    // Act
    const decisions = [...decide(rejected), ...decide(delivered)];

    // Assess
    expect(decisions).toEqual([]);
  });

  it('derives the same command id from the same trigger every time', () => {
    // Act
    const first = decide(fileAvailable())[0]!.command.id;
    const again = decide({ ...fileAvailable(), id: 'a-redelivered-copy', time: '2026-11-23T00:00:00.000Z' })[0]!.command.id;
    const otherContent = decide(fileAvailable('etag-2'))[0]!.command.id;

    // Assess
    expect(again).toBe(first);
    expect(otherContent).not.toBe(first);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('commandId', () => {
  it('separates rule and key so that they cannot run together', () => {
    // Act & Assess
    expect(commandId('a', 'bc')).not.toBe(commandId('ab', 'c'));
    expect(commandId('a', 'b')).toBe(commandId('a', 'b'));
  });
});
