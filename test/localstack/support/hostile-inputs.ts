/**
 * The hostile-input corpus as data: one line per case, each with the outcome the pipeline must
 * reach. `upload` cases are put into the inbox as a provider would; `intake` cases are raw
 * messages on the intake queue (S3 notifications as S3 could send them, and worse); `bus` cases
 * are raw messages on the event bus. A case is added by adding a line.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { RejectionCode } from '../../../shared/conventions/rejection.ts';
import { buildGrib2, buildHdf5 } from '../../../shared/samples/format-files.ts';
import { ecmwfName, fciChunkName } from '../../../shared/samples/provider-files.ts';
import { parseFciName } from '../../../shared/conventions/mtg-fci.ts';

/** What must become of a case. */
export type Outcome =
  | { readonly quarantined: RejectionCode }
  | { readonly deadLettered: true }
  | { readonly ignored: true }
  /** Refused by S3 itself at upload, with this error: nothing reaches the inbox. */
  | { readonly refused: string };

/** One case: where it goes, what it is, what must become of it. */
export interface HostileCase {
  readonly name: string;
  readonly channel: 'upload' | 'intake' | 'bus';
  /** For uploads: the key and the bytes. For messages: the body. */
  readonly key?: string;
  readonly body: Buffer | string;
  /** For uploads: the SHA-256 (base64) the upload claims for its bytes (`x-amz-checksum-sha256`). */
  readonly checksumSha256?: string;
  readonly outcome: Outcome;
}

/** A valid file the run uploads anyway (a chunk of its valid cycle), which cases may name. */
export interface LiveFile {
  readonly key: string;
  readonly body: Buffer;
}

const q = (code: RejectionCode): Outcome => ({ quarantined: code });
const dlq: Outcome = { deadLettered: true };
const ignored: Outcome = { ignored: true };

/** A GRIB2 message with one byte changed: `at` (offset) set to `value`, or a 32-bit length written there. */
function grib(edit: (file: Buffer) => void): Buffer {
  const file = buildGrib2(2, 600, 3);
  edit(file);
  return file;
}

/** An S3 notification body with one record. */
const notification = (record: Record<string, unknown>): string =>
  JSON.stringify({ Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', ...record }] });

/** A CloudEvent body of type `type` and `data`, otherwise well-formed. */
const event = (type: string, data: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    specversion: '1.0',
    id: `hostile-${type}-${String(JSON.stringify(data ?? null).length)}-${Object.keys(extra).join('')}-${randomUUID()}`,
    source: 'test/hostile',
    type,
    time: '2026-11-22T10:00:00.000Z',
    dataschema: `urn:cometflow:schema:${type}:1`,
    datacontenttype: 'application/json',
    correlationid: 'hostile-corpus',
    causationid: 'hostile-corpus',
    data,
    ...extra,
  });

/**
 * The corpus for one run: names use `day` and `cycle`, which no other run uses, so the cases'
 * keys are new to the stack.
 */
export function hostileCases(day: string, cycle: number, inbox: string, live: LiveFile): HostileCase[] {
  const fci = fciChunkName(day, cycle, 7);
  const hdf5 = buildHdf5(4096, cycle);
  const analysis = new Date(
    Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)), 12),
  );
  const ecmwf = ecmwfName(analysis, 6);
  const good = buildGrib2(2, 600, cycle);
  const withField = (pattern: RegExp, replacement: string): string => `eumetsat/${fci.replace(pattern, replacement)}`;
  const pad = (bytes: number): string => `eumetsat/${'X'.repeat(bytes - 'eumetsat/'.length - fci.length)}${fci}`;
  return [
    // Names: every field of the FCI convention out of range, case, suffixes, encodings.
    {
      name: 'repeat cycle 0000',
      channel: 'upload',
      key: withField(/_C_\d{4}_(\d{4})\.nc$/, '_C_0000_$1.nc'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'repeat cycle 0145',
      channel: 'upload',
      key: withField(/_C_\d{4}_(\d{4})\.nc$/, '_C_0145_$1.nc'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'chunk 0000',
      channel: 'upload',
      key: withField(/_(\d{4})\.nc$/, '_0000.nc'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'chunk 0042',
      channel: 'upload',
      key: withField(/_(\d{4})\.nc$/, '_0042.nc'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'body part with the trailer chunk',
      channel: 'upload',
      key: withField(/_(\d{4})\.nc$/, '_0041.nc'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    { name: 'satellite MTI5', channel: 'upload', key: withField(/MTI1/, 'MTI5'), body: hdf5, outcome: q('bad-name') },
    {
      name: 'unknown environment',
      channel: 'upload',
      key: withField(/_OPE_/, '_PRD_'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'sensing month 13',
      channel: 'upload',
      key: withField(/_OPE_(\d{4})\d{2}/, '_OPE_$113'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'sensing day 32',
      channel: 'upload',
      key: withField(/_OPE_(\d{6})\d{2}/, '_OPE_$132'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'sensing hour 25',
      channel: 'upload',
      key: withField(/_OPE_(\d{8})\d{2}/, '_OPE_$125'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'creation second 61',
      channel: 'upload',
      key: withField(/_EUMT_(\d{12})\d{2}/, '_EUMT_$161'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'lower-case name',
      channel: 'upload',
      key: `eumetsat/${fci.toLowerCase()}`,
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'upper-case extension',
      channel: 'upload',
      key: withField(/\.nc$/, '.NC'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    { name: 'extra suffix .tmp', channel: 'upload', key: `eumetsat/${fci}.tmp`, body: hdf5, outcome: q('bad-name') },
    { name: 'extra suffix .gz', channel: 'upload', key: `eumetsat/${fci}.gz`, body: hdf5, outcome: q('bad-name') },
    {
      name: 'traversal segment ..',
      channel: 'upload',
      key: `eumetsat/../ecmwf/${fci}`,
      body: hdf5,
      outcome: q('bad-name'),
    },
    { name: 'dot segment', channel: 'upload', key: `eumetsat/./${fci}`, body: hdf5, outcome: q('bad-name') },
    { name: 'empty segment', channel: 'upload', key: `eumetsat//${fci}`, body: hdf5, outcome: q('bad-name') },
    { name: 'sub-folder', channel: 'upload', key: `eumetsat/incoming/${fci}`, body: hdf5, outcome: q('bad-name') },
    {
      name: 'percent-encoded comma, literally',
      channel: 'upload',
      key: `eumetsat/${fci.replace(',', '%2C')}`,
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'space instead of underscore',
      channel: 'upload',
      key: withField(/_N_/, ' N_'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'fullwidth letters (unicode)',
      channel: 'upload',
      key: withField(/EUMETSAT/, 'ＥＵＭＥＴＳＡＴ'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    {
      name: 'combining accent (unicode)',
      channel: 'upload',
      key: withField(/Darmstadt/, 'Darmsta\u0301dt'),
      body: hdf5,
      outcome: q('bad-name'),
    },
    { name: '912-byte key', channel: 'upload', key: pad(912), body: hdf5, outcome: q('bad-name') },
    { name: '1,024-byte key', channel: 'upload', key: pad(1024), body: hdf5, outcome: q('bad-name') },
    {
      name: 'upper-case provider prefix',
      channel: 'upload',
      key: `EUMETSAT/${fci}`,
      body: hdf5,
      outcome: q('unknown-provider'),
    },
    { name: 'no provider prefix', channel: 'upload', key: fci, body: hdf5, outcome: q('unknown-provider') },
    {
      name: 'unknown provider',
      channel: 'upload',
      key: `nasa/${cycle}-granule.h5`,
      body: hdf5,
      outcome: q('unknown-provider'),
    },
    // Names of the ECMWF convention.
    {
      name: 'lower-case s1d',
      channel: 'upload',
      key: `ecmwf/${ecmwf.replace('S1D', 's1d')}`,
      body: good,
      outcome: q('bad-name'),
    },
    {
      name: 'analysis month 13',
      channel: 'upload',
      key: `ecmwf/S1D13${ecmwf.slice(5)}`,
      body: good,
      outcome: q('bad-name'),
    },
    {
      name: 'one digit short',
      channel: 'upload',
      key: `ecmwf/${ecmwf.slice(0, -2)}1`,
      body: good,
      outcome: q('bad-name'),
    },
    { name: 'extra suffix .grib2', channel: 'upload', key: `ecmwf/${ecmwf}.grib2`, body: good, outcome: q('bad-name') },
    {
      name: 'last digit 2',
      channel: 'upload',
      key: `ecmwf/${ecmwf.slice(0, -1)}2`,
      body: good,
      outcome: q('bad-name'),
    },
    // Sizes.
    {
      name: 'zero-byte imager chunk',
      channel: 'upload',
      key: `eumetsat/${fciChunkName(day, cycle, 8)}`,
      body: Buffer.alloc(0),
      outcome: q('bad-size'),
    },
    {
      name: 'zero-byte forecast',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 7)}`,
      body: Buffer.alloc(0),
      outcome: q('bad-size'),
    },
    {
      name: 'eight bytes',
      channel: 'upload',
      key: `eumetsat/${fciChunkName(day, cycle, 9)}`,
      body: hdf5.subarray(0, 8),
      outcome: q('bad-size'),
    },
    // Contents: signatures, HDF5 superblocks, GRIB2 sections that lie.
    {
      name: 'no HDF5 signature',
      channel: 'upload',
      key: `eumetsat/${fciChunkName(day, cycle, 10)}`,
      body: Buffer.alloc(4096, 0x41),
      outcome: q('bad-signature'),
    },
    {
      name: 'NetCDF classic',
      channel: 'upload',
      key: `eumetsat/${fciChunkName(day, cycle, 11)}`,
      body: Buffer.concat([Buffer.from('CDF\x01', 'latin1'), Buffer.alloc(4092)]),
      outcome: q('bad-signature'),
    },
    {
      name: 'GRIB2 content in an imager chunk',
      channel: 'upload',
      key: `eumetsat/${fciChunkName(day, cycle, 12)}`,
      body: good,
      outcome: q('bad-signature'),
    },
    {
      name: 'truncated HDF5',
      channel: 'upload',
      key: `eumetsat/${fciChunkName(day, cycle, 13)}`,
      body: hdf5.subarray(0, 3000),
      outcome: q('bad-structure'),
    },
    {
      name: 'HDF5 superblock checksum wrong',
      channel: 'upload',
      key: `eumetsat/${fciChunkName(day, cycle, 14)}`,
      body: ((b) => {
        b.writeUInt8(b.readUInt8(30) ^ 1, 30);
        return b;
      })(Buffer.from(hdf5)),
      outcome: q('bad-structure'),
    },
    {
      name: 'HDF5 superblock version 9',
      channel: 'upload',
      key: `eumetsat/${fciChunkName(day, cycle, 15)}`,
      body: ((b) => {
        b.writeUInt8(9, 8);
        return b;
      })(Buffer.from(hdf5)),
      outcome: q('bad-structure'),
    },
    {
      name: 'HDF5 signature cut short',
      channel: 'upload',
      key: `eumetsat/${fciChunkName(day, cycle, 16)}`,
      body: Buffer.concat([hdf5.subarray(0, 5), Buffer.alloc(4091, 0x20)]),
      outcome: q('bad-signature'),
    },
    {
      name: 'GRIB edition 1',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 8)}`,
      body: grib((f) => f.writeUInt8(1, 7)),
      outcome: q('bad-signature'),
    },
    {
      name: 'GRIB2 without 7777',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 9)}`,
      body: grib((f) => f.write('0000', f.length - 4, 'latin1')),
      outcome: q('bad-signature'),
    },
    {
      name: 'HDF5 content in a forecast',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 10)}`,
      body: hdf5,
      outcome: q('bad-signature'),
    },
    {
      name: 'GRIB2 section 1 declaring 1 GiB',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 11)}`,
      body: grib((f) => f.writeUInt32BE(1024 ** 3, 16)),
      outcome: q('bad-structure'),
    },
    {
      name: 'GRIB2 message longer than the file',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 12)}`,
      body: grib((f) => f.writeBigUInt64BE(4000n, 8)),
      outcome: q('bad-structure'),
    },
    {
      name: 'GRIB2 section 4 lying about its length',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 13)}`,
      body: grib((f) => f.writeUInt32BE(400, 109)),
      outcome: q('bad-structure'),
    },
    {
      name: 'GRIB2 sections out of order',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 14)}`,
      body: grib((f) => f.writeUInt8(5, 113)),
      outcome: q('bad-structure'),
    },
    {
      name: 'GRIB2 second message cut',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 15)}`,
      body: Buffer.concat([good.subarray(0, 600), good.subarray(600, 900), Buffer.from('7777')]),
      outcome: q('bad-structure'),
    },
    {
      name: 'GRIB2 garbage between messages',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 16)}`,
      body: Buffer.concat([good.subarray(0, 600), Buffer.from('junkjunkjunkjunk7777')]),
      outcome: q('bad-structure'),
    },
    {
      name: 'GRIB2 sections shorter than the total',
      channel: 'upload',
      key: `ecmwf/${ecmwfName(analysis, 17)}`,
      body: grib((f) => f.writeUInt32BE(f.readUInt32BE(170) - 9, 170)),
      outcome: q('bad-structure'),
    },
    // Checksums: S3 refuses an upload whose claimed SHA-256 is not that of its bytes.
    {
      name: 'upload whose S3 SHA-256 does not match its bytes',
      channel: 'upload',
      key: withField(/_C_(\d{4})_\d{4}\.nc$/, '_C_$1_0033.nc'),
      body: hdf5,
      checksumSha256: createHash('sha256').update('other bytes').digest('base64'),
      outcome: { refused: 'BadDigest' },
    },
    // Notifications on the intake queue.
    {
      name: 'notification of an upload replaced before the read (size and ETag changed)',
      channel: 'intake',
      body: notification({
        eventName: 'ObjectCreated:Put',
        eventTime: '2026-11-22T10:00:00.000Z',
        s3: {
          bucket: { name: inbox },
          object: { key: encodeURIComponent(live.key).replaceAll('%2F', '/'), size: 12, eTag: 'f'.repeat(32) },
        },
      }),
      outcome: ignored,
    },
    {
      name: 'S3 test event',
      channel: 'intake',
      body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: inbox }),
      outcome: ignored,
    },
    {
      name: 'delete notification',
      channel: 'intake',
      body: notification({
        eventName: 'ObjectRemoved:Delete',
        s3: { bucket: { name: inbox }, object: { key: `eumetsat/${fci}` } },
      }),
      outcome: ignored,
    },
    {
      name: 'unknown event name',
      channel: 'intake',
      body: notification({
        eventName: 'ObjectRestore:Completed',
        s3: { bucket: { name: inbox }, object: { key: `eumetsat/${fci}` } },
      }),
      outcome: ignored,
    },
    {
      name: 'record for an object that is gone',
      channel: 'intake',
      body: notification({
        eventName: 'ObjectCreated:Put',
        eventTime: '2026-11-22T10:00:00.000Z',
        s3: { bucket: { name: inbox }, object: { key: `eumetsat/gone-${day}-${cycle}` } },
      }),
      outcome: ignored,
    },
    {
      name: 'notification not JSON',
      channel: 'intake',
      body: `<Event>s3:ObjectCreated:Put ${day}-${cycle}</Event>`,
      outcome: dlq,
    },
    {
      name: 'notification without Records',
      channel: 'intake',
      body: JSON.stringify({ Message: `hostile ${day}-${cycle}` }),
      outcome: dlq,
    },
    {
      name: 'record without key',
      channel: 'intake',
      body: notification({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: inbox }, object: { size: cycle } } }),
      outcome: dlq,
    },
    {
      name: 'key not valid percent-encoding',
      channel: 'intake',
      body: notification({
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: inbox }, object: { key: `eumetsat/%E0%A4${day}%` } },
      }),
      outcome: dlq,
    },
    {
      name: 'event time not a time',
      channel: 'intake',
      body: notification({
        eventName: 'ObjectCreated:Put',
        eventTime: `day ${day}-${cycle}`,
        s3: { bucket: { name: inbox }, object: { key: 'eumetsat/x' } },
      }),
      outcome: dlq,
    },
    // Events on the bus.
    { name: 'bus message not JSON', channel: 'bus', body: `not json ${day}-${cycle}`, outcome: dlq },
    {
      name: 'bus JSON that is no CloudEvent',
      channel: 'bus',
      body: JSON.stringify({ hello: `hostile ${day}-${cycle}` }),
      outcome: dlq,
    },
    {
      name: 'unknown event type',
      channel: 'bus',
      body: event('cometflow.file.teleported', { n: cycle }),
      outcome: dlq,
    },
    {
      name: 'specversion 0.3',
      channel: 'bus',
      body: event('cometflow.file.available', { n: cycle }, { specversion: '0.3' }),
      outcome: dlq,
    },
    {
      name: 'file.available without its file',
      channel: 'bus',
      body: event('cometflow.file.available', { provider: 'eumetsat', name: fci }),
      outcome: dlq,
    },
    {
      name: 'file.ingested with a short sha256',
      channel: 'bus',
      body: event('cometflow.file.ingested', {
        source: { bucket: 'b', key: 'k', size: 1 },
        ingested: { bucket: 'b', key: 'k', size: 1, sha256: 'abc' },
        provider: 'eumetsat',
        name: fci,
        attributes: {},
      }),
      outcome: dlq,
    },
    {
      name: 'processing.requested without inputs',
      channel: 'bus',
      body: event('cometflow.processing.requested', { algorithm: 'byte-statistics', productType: 'x', inputs: [] }),
      outcome: dlq,
    },
    {
      name: 'file.rejected with an unknown code',
      channel: 'bus',
      body: event('cometflow.file.rejected', {
        file: { bucket: 'b', key: 'k' },
        quarantine: { bucket: 'q', key: 'k' },
        code: 'bad-mood',
        reason: 'r',
      }),
      outcome: dlq,
    },
    {
      name: 'file.available of an upload replaced between intake and ingest',
      channel: 'bus',
      body: event('cometflow.file.available', {
        file: { bucket: inbox, key: live.key, size: live.body.length, etag: 'e'.repeat(32) },
        provider: 'eumetsat',
        name: live.key.slice(live.key.indexOf('/') + 1),
        attributes: parseFciName(live.key.slice(live.key.indexOf('/') + 1)),
      }),
      outcome: ignored,
    },
    {
      name: 'dataref to data that does not exist',
      channel: 'bus',
      body: event('cometflow.processing.requested', undefined, {
        dataref: `s3://no-such-claims-bucket/${day}/${cycle}.json`,
      }),
      outcome: dlq,
    },
    {
      name: 'dataref that is no S3 reference',
      channel: 'bus',
      body: event('cometflow.file.available', undefined, { dataref: `http://example.com/${day}` }),
      outcome: dlq,
    },
  ];
}
