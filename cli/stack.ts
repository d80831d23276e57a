/**
 * Which stack the CLI talks to, and its clients. A stack is a `StackDescription`: the local one
 * (`.cometflow/local-stack.json`, while `npm start -- --serve` runs), another description file
 * (`--stack`), or one derived from the outputs of `cdk deploy --outputs-file` (`--outputs`) with
 * endpoints and credentials from the SDK's standard environment settings, the way the
 * integration suite's global setup finds a deployed stack.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ECSClient } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  descriptionFromOutputs as describeOutputs,
  descriptionPath,
  isServing,
  readDescription,
  type SdkEnvironment,
  type StackDescription,
} from '../local/stack-description.ts';
import { StackNotFoundError } from './errors.ts';
import { s3ClaimStore } from '#shared/clients/claims.ts';
import type { ClaimStore } from '#shared/envelope/claim-check.ts';

export type { SdkEnvironment };

/** The clients of one stack. */
export interface StackClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly documents: DynamoDBDocumentClient;
  /** The client under `documents` (the document client does not close it). */
  readonly dynamodb: DynamoDBClient;
  /** Step Functions: running delivery sagas. */
  readonly sfn: SFNClient;
  /** ECS: container worker tasks. */
  readonly ecs: ECSClient;
}

/** A stack to talk to: its description, where it came from, and whether the SDK picks credentials. */
export interface SelectedStack {
  readonly description: StackDescription;
  /** The file it was read from, for messages. */
  readonly from: string;
  /**
   * True when the description's credentials are placeholders and the SDK's default provider
   * chain (profile, SSO, instance role) should find the real ones: a deployed stack with no
   * keys in the environment.
   */
  readonly sdkCredentials: boolean;
}

/**
 * The stack described by a `cdk deploy --outputs-file` file (see `descriptionFromOutputs` in
 * local/stack-description.ts), failing with `StackNotFoundError`.
 */
export function descriptionFromOutputs(
  file: unknown,
  env: SdkEnvironment,
  path = 'the outputs file',
): StackDescription {
  try {
    return describeOutputs(file, env, path);
  } catch (error) {
    throw new StackNotFoundError((error as Error).message);
  }
}

const howToStart =
  'Start a local stack with `npm start -- --serve` (it stays up until Ctrl-C and writes .cometflow/local-stack.json), ' +
  'or point at a deployed stack with --outputs <file written by cdk deploy --outputs-file>.';

/**
 * The stack the flags select: `--outputs <file>`, `--stack <file>`, or the local stack's
 * description under `projectRoot`.
 */
export function selectStack(
  flags: { readonly stack?: string; readonly outputs?: string },
  projectRoot: string,
  env: SdkEnvironment,
): SelectedStack {
  if (flags.outputs !== undefined) {
    const path = resolve(flags.outputs);
    let file: unknown;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    } catch (error) {
      throw new StackNotFoundError(`Cannot read the stack outputs ${path}: ${(error as Error).message}. ${howToStart}`);
    }
    const description = descriptionFromOutputs(file, env, path);
    const hasKeys = env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_ACCESS_KEY_ID !== '';
    return { description, from: path, sdkCredentials: !hasKeys && Object.keys(description.endpoints).length === 0 };
  }
  const path = flags.stack === undefined ? descriptionPath(projectRoot) : resolve(flags.stack);
  let description: StackDescription | undefined;
  try {
    description = readDescription(path);
  } catch (error) {
    throw new StackNotFoundError(`${(error as Error).message}. ${howToStart}`);
  }
  if (description === undefined) throw new StackNotFoundError(`No stack is described at ${path}. ${howToStart}`);
  if (!isServing(description)) {
    throw new StackNotFoundError(
      `The stack described at ${path} is not running (its process ${description.pid} is gone). ${howToStart}`,
    );
  }
  return { description, from: path, sdkCredentials: false };
}

/**
 * Clients for a stack: its region, credentials and endpoints; S3 addressed path-style, which
 * every target (AWS, LocalStack, the local emulators) accepts.
 */
export function clientsFor(stack: Pick<SelectedStack, 'description' | 'sdkCredentials'>): StackClients {
  const { description } = stack;
  const common = {
    region: description.region,
    ...(stack.sdkCredentials ? {} : { credentials: description.credentials }),
  };
  const dynamodb = new DynamoDBClient({
    ...common,
    ...(description.endpoints.dynamodb === undefined ? {} : { endpoint: description.endpoints.dynamodb }),
  });
  return {
    s3: new S3Client({
      ...common,
      forcePathStyle: true,
      ...(description.endpoints.s3 === undefined ? {} : { endpoint: description.endpoints.s3 }),
    }),
    sqs: new SQSClient({
      ...common,
      ...(description.endpoints.sqs === undefined ? {} : { endpoint: description.endpoints.sqs }),
    }),
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    dynamodb,
    sfn: new SFNClient({
      ...common,
      ...(description.endpoints.stepfunctions === undefined ? {} : { endpoint: description.endpoints.stepfunctions }),
    }),
    ecs: new ECSClient({
      ...common,
      ...(description.endpoints.ecs === undefined ? {} : { endpoint: description.endpoints.ecs }),
    }),
  };
}

/** Closes the clients' connections, so the process can exit at once. */
export function destroyClients(clients: StackClients): void {
  clients.s3.destroy();
  clients.sqs.destroy();
  clients.dynamodb.destroy();
  clients.sfn.destroy();
  clients.ecs.destroy();
}

/** A resource of the stack by role, or an error naming the roles it has. */
export function resourceOf(kind: 'queues' | 'tables' | 'buckets', description: StackDescription, role: string): string {
  const value = description[kind][role];
  if (value === undefined) {
    throw new StackNotFoundError(
      `The stack ${description.stackName} has no ${kind.slice(0, -1)} "${role}"; it has ${Object.keys(description[kind]).join(', ') || 'none'}`,
    );
  }
  return value;
}

/**
 * The stack's claim store (its `claims` bucket), where the data of events too large for a
 * message waits; undefined for a stack without one. Readers of stored events resolve `dataref`
 * through it, as the stages do.
 */
export function claimsOf(s3: S3Client, description: StackDescription): ClaimStore | undefined {
  const bucket = description.buckets.claims;
  return bucket === undefined ? undefined : s3ClaimStore(s3, bucket);
}
