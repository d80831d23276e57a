import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventTypes, type CometEvent } from '#events/registry.ts';
import { sqsSender } from '../clients/bus.ts';
import { InvalidInputError } from '../errors.ts';
import {
  checkIn,
  checkOut,
  ClaimCheckThresholdBytes,
  eventBytes,
  MessageTooLargeError,
  SqsMaxMessageBytes,
  type ClaimStore,
} from './claim-check.ts';
import { readEvent, unwrap, wrap } from './envelope.ts';

type Requested = CometEvent<typeof EventTypes.processingRequested>;

const sample = JSON.parse(
  readFileSync(new URL('../../events/processing.requested/samples/complete-cycle.json', import.meta.url), 'utf8'),
) as Requested;

/** A processing.requested listing `inputs` inputs, each named as a real FCI chunk in the archive. */
function requestWith(inputs: number): Requested {
  const template = sample.data.inputs[0]!;
  return wrap({
    type: EventTypes.processingRequested,
    source: 'cometflow/scheduler',
    correlationId: 'cycle-20261122-061',
    data: {
      ...sample.data,
      inputs: Array.from({ length: inputs }, (_, i) => ({
        ...template,
        key: `${template.key}.${i}`,
        name: `${template.name}.${i}`,
      })),
    },
  });
}

/** A claim store in memory that counts its calls. */
function memoryClaims(): ClaimStore & { objects: Map<string, string>; puts: number; gets: number } {
  const objects = new Map<string, string>();
  const store = {
    objects,
    puts: 0,
    gets: 0,
    put: async (key: string, body: string) => {
      store.puts += 1;
      objects.set(key, body);
      return `s3://claims-bucket/${key}`;
    },
    get: async (reference: string) => {
      store.gets += 1;
      const body = objects.get(reference.replace('s3://claims-bucket/', ''));
      if (body === undefined) throw new InvalidInputError(`no object at ${reference}`);
      return body;
    },
  };
  return store;
}

describe('claim check', () => {
  it('leaves an event under the bound as it is and stores nothing', async () => {
    // Prepare
    const claims = memoryClaims();
    const event = requestWith(41);
    // Act
    const sent = await checkIn(event, claims);
    // Assess
    expect(sent).toBe(event);
    expect(claims.puts).toBe(0);
  });

  it('moves the data of a 5,000-input request to the store, and a reader gets the same event back', async () => {
    // Prepare
    const claims = memoryClaims();
    const event = requestWith(5000);
    expect(eventBytes(event)).toBeGreaterThan(SqsMaxMessageBytes);
    // Act
    const sent = await checkIn(event, claims);
    const read = await readEvent(JSON.stringify(sent), [EventTypes.processingRequested], claims);
    // Assess
    expect(eventBytes(sent)).toBeLessThan(2048);
    expect(sent).not.toHaveProperty('data');
    expect(sent.dataref).toBe(`s3://claims-bucket/cometflow/scheduler/${event.type}/${event.id}.json`);
    expect(read.data).toEqual(event.data);
    expect(read).toMatchObject({ id: event.id, dataref: sent.dataref });
  });

  it('stores a read event as its reference again, without a second object', async () => {
    // Prepare
    const claims = memoryClaims();
    const sent = await checkIn(requestWith(5000), claims);
    const read = await readEvent(JSON.stringify(sent), [EventTypes.processingRequested], claims);
    // Act
    const stored = await checkIn(read, claims);
    // Assess
    expect(claims.puts).toBe(1);
    expect(stored).toEqual(sent);
  });

  it('refuses a large event where no store is configured, as a terminal error naming the size', async () => {
    // Act
    const error = await checkIn(requestWith(5000), undefined).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as MessageTooLargeError).retryable).toBe(false);
    expect((error as Error).message).toMatch(
      new RegExp(`is \\d+ bytes, over the ${ClaimCheckThresholdBytes}-byte bound`),
    );
  });

  it('refuses a reference no reader can follow, and a referenced event read without a store', async () => {
    // Prepare
    const claims = memoryClaims();
    const sent = await checkIn(requestWith(5000), claims);
    // Act & Assess
    await expect(checkOut({ ...sent, dataref: 'http://elsewhere/x' }, claims)).rejects.toThrow(
      /expected s3:\/\/<bucket>\/<key>/,
    );
    await expect(readEvent(JSON.stringify(sent), [EventTypes.processingRequested], undefined)).rejects.toThrow(
      /no claim store configured/,
    );
    expect(() => unwrap(JSON.stringify(sent), [EventTypes.processingRequested])).toThrow(
      /read it with readEvent and a claim store/,
    );
  });

  it('checks the type before reading the store', async () => {
    // Prepare
    const claims = memoryClaims();
    const sent = await checkIn(requestWith(5000), claims);
    // Act
    const error = await readEvent(JSON.stringify(sent), [EventTypes.fileIngested], claims).catch(
      (caught: unknown) => caught,
    );
    // Assess
    expect((error as Error).message).toMatch(/is not handled here/);
    expect(claims.gets).toBe(0);
  });
});

describe('sqsSender', () => {
  it('sends a large event as its reference, under the SQS limit', async () => {
    // Prepare
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: '1' });
    const claims = memoryClaims();
    const send = sqsSender(sqs as unknown as SQSClient, { claims });
    // Act
    await send('https://queue', requestWith(5000));
    // Assess
    const body = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!;
    expect(Buffer.byteLength(body)).toBeLessThan(ClaimCheckThresholdBytes);
    expect(JSON.parse(body)).toHaveProperty('dataref');
    expect(claims.puts).toBe(1);
  });

  it('turns SQS refusing a message for its size into a terminal MessageTooLargeError, sent once', async () => {
    // Prepare: a sender whose bound lets the event through, and SQS refusing it.
    const sqs = mockClient(SQSClient);
    const refusal = Object.assign(
      new Error('One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.'),
      { name: 'InvalidParameterValue' },
    );
    sqs.on(SendMessageCommand).rejects(refusal);
    const send = sqsSender(sqs as unknown as SQSClient, { thresholdBytes: 10 * 1024 * 1024 });
    // Act
    const error = await send('https://queue', requestWith(100)).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as MessageTooLargeError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/refused for its size: .*shorter than 262144 bytes/);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('refuses before sending an event that would still be over the SQS limit', async () => {
    // Prepare
    const sqs = mockClient(SQSClient);
    const send = sqsSender(sqs as unknown as SQSClient, { thresholdBytes: 10 * 1024 * 1024 });
    // Act
    const error = await send('https://queue', requestWith(2000)).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as Error).message).toMatch(/SQS takes at most 262144 bytes/);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});
