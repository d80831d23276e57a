/**
 * The cost of a file: the AWS calls the fault proxies counted (every call of every function,
 * worker and saga step), Lambda GB-seconds from the invocations' durations and the template's
 * memory sizes, Step Functions transitions from the executions' histories, DynamoDB request
 * units estimated from the calls' sizes; priced with the dated list prices of `prices.ts`.
 */
import { GetExecutionHistoryCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { physicalName, resourcesOfType, type Template } from '../local/runtime/template.ts';
import type { OperationCount } from '../local/faults/proxy.ts';
import { Prices, PricesAsOf, S3FreeOperations, S3WriteOperations } from './prices.ts';

/** Invocations of one function and their summed duration. */
export interface InvocationTotals {
  readonly invocations: number;
  readonly milliseconds: number;
}

/** What `costOf` needs. */
export interface CostInput {
  /** `<service>.<operation>` -> counts, from the proxies. */
  readonly operations: Readonly<Record<string, OperationCount>>;
  /** Function name -> invocations (SQS-triggered ones; saga tasks come from the histories). */
  readonly invocations: ReadonlyMap<string, InvocationTotals>;
  readonly template: Template;
  readonly stackName: string;
  readonly sfn: SFNClient;
  readonly stateMachineArn: string | undefined;
  readonly acceptedFiles: number;
  readonly deliveredProducts: number;
}

/** The cost report. */
export interface CostReport {
  readonly pricesAsOf: string;
  readonly callsByService: Record<string, number>;
  readonly callsPerAcceptedFile: number;
  readonly callsPerDeliveredProduct: number;
  /** The five most frequent operations, with calls per accepted file. */
  readonly topOperations: readonly { readonly operation: string; readonly calls: number; readonly perFile: number }[];
  readonly lambdaGbSeconds: number;
  readonly lambdaInvocations: number;
  readonly sfnTransitions: number;
  readonly dynamoDbWru: number;
  readonly dynamoDbRru: number;
  /** USD per 1,000 accepted files, by item, and the total. */
  readonly usdPer1000Files: Record<string, number>;
}

const DYNAMODB_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const DYNAMODB_READS = new Set(['GetItem', 'Query', 'Scan']);

/** DynamoDB request units, estimated: each call's body size stands for its item size (an upper bound). */
export function dynamoDbUnits(operations: Readonly<Record<string, OperationCount>>): { wru: number; rru: number } {
  let wru = 0;
  let rru = 0;
  for (const [name, count] of Object.entries(operations)) {
    if (!name.startsWith('dynamodb.')) continue;
    const operation = name.slice('dynamodb.'.length);
    const forwarded =
      count.calls -
      Object.entries(count.faults)
        .filter(([k]) => k !== 'latency')
        .reduce((n, [, v]) => n + (v ?? 0), 0);
    if (forwarded <= 0) continue;
    if (DYNAMODB_WRITES.has(operation)) wru += forwarded * Math.max(1, Math.ceil(count.bytesIn / forwarded / 1024));
    else if (DYNAMODB_READS.has(operation))
      rru += forwarded * Math.max(1, Math.ceil(count.bytesOut / forwarded / 4096));
    else if (operation === 'TransactWriteItems') wru += 2 * count.items;
    else if (operation === 'TransactGetItems') rru += 2 * count.items;
    else if (operation === 'BatchWriteItem') wru += count.items;
    else if (operation === 'BatchGetItem') rru += count.items;
  }
  return { wru, rru };
}

/** Counts state transitions and saga task time from every execution's history. */
async function sagaTotals(
  sfn: SFNClient,
  stateMachineArn: string,
): Promise<{ transitions: number; taskMs: number; tasks: number }> {
  let transitions = 0;
  let taskMs = 0;
  let tasks = 0;
  let token: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: token, maxResults: 100 }));
    for (const execution of listed.executions ?? []) {
      const { events = [] } = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000 }),
      );
      let scheduled: number | undefined;
      for (const event of events) {
        if (event.type?.endsWith('StateEntered') === true) transitions += 1;
        if (event.type === 'LambdaFunctionScheduled') scheduled = event.timestamp?.getTime();
        if (
          (event.type === 'LambdaFunctionSucceeded' ||
            event.type === 'LambdaFunctionFailed' ||
            event.type === 'LambdaFunctionTimedOut') &&
          scheduled !== undefined
        ) {
          taskMs += (event.timestamp?.getTime() ?? scheduled) - scheduled;
          tasks += 1;
          scheduled = undefined;
        }
      }
    }
    token = listed.nextToken;
    if (token === undefined) break;
  }
  return { transitions, taskMs, tasks };
}

const round = (value: number, digits = 4): number => Number(value.toFixed(digits));

/** Prices the run. */
export async function costOf(input: CostInput): Promise<CostReport> {
  const memoryByName = new Map<string, number>();
  let sagaMemoryMb = 256;
  for (const [id, resource] of resourcesOfType(input.template, 'AWS::Lambda::Function')) {
    const memory = Number(resource.Properties?.MemorySize ?? 128);
    memoryByName.set(physicalName(input.stackName, id, { maxLength: 64 }), memory);
    if (/saga/i.test(id)) sagaMemoryMb = memory;
  }
  let gbSeconds = 0;
  let lambdaInvocations = 0;
  for (const [name, totals] of input.invocations) {
    gbSeconds += (totals.milliseconds / 1000) * ((memoryByName.get(name) ?? 128) / 1024);
    lambdaInvocations += totals.invocations;
  }
  const saga =
    input.stateMachineArn === undefined
      ? { transitions: 0, taskMs: 0, tasks: 0 }
      : await sagaTotals(input.sfn, input.stateMachineArn);
  gbSeconds += (saga.taskMs / 1000) * (sagaMemoryMb / 1024);
  lambdaInvocations += saga.tasks;

  const callsByService: Record<string, number> = {};
  let s3Write = 0;
  let s3Read = 0;
  let sqsRequests = 0;
  for (const [name, count] of Object.entries(input.operations)) {
    const [service, operation] = name.split('.') as [string, string];
    callsByService[service] = (callsByService[service] ?? 0) + count.calls;
    if (service === 's3' && !S3FreeOperations.has(operation)) {
      if (S3WriteOperations.has(operation)) s3Write += count.calls;
      else s3Read += count.calls;
    }
    // SQS bills each 64 KiB of a request's payload as one request.
    if (service === 'sqs') sqsRequests += Math.max(count.calls, Math.ceil(count.bytesIn / 65_536));
  }
  const { wru, rru } = dynamoDbUnits(input.operations);
  const totalCalls = Object.values(callsByService).reduce((a, b) => a + b, 0);
  const files = Math.max(1, input.acceptedFiles);
  const per1000 = (usd: number): number => round((usd / files) * 1000);
  const usd: Record<string, number> = {
    s3Requests: per1000((s3Write / 1000) * Prices.s3WritePer1000 + (s3Read / 1000) * Prices.s3ReadPer1000),
    sqsRequests: per1000((sqsRequests / 1e6) * Prices.sqsPerMillion),
    lambdaRequests: per1000((lambdaInvocations / 1e6) * Prices.lambdaRequestsPerMillion),
    lambdaDuration: per1000(gbSeconds * Prices.lambdaArmPerGbSecond),
    stepFunctions: per1000((saga.transitions / 1000) * Prices.sfnPer1000Transitions),
    dynamoDb: per1000((wru / 1e6) * Prices.dynamoDbPerMillionWru + (rru / 1e6) * Prices.dynamoDbPerMillionRru),
  };
  usd.total = round(Object.values(usd).reduce((a, b) => a + b, 0));
  const topOperations = Object.entries(input.operations)
    .sort(([, a], [, b]) => b.calls - a.calls)
    .slice(0, 8)
    .map(([operation, count]) => ({ operation, calls: count.calls, perFile: round(count.calls / files, 2) }));
  return {
    pricesAsOf: PricesAsOf,
    callsByService,
    callsPerAcceptedFile: round(totalCalls / files, 2),
    callsPerDeliveredProduct: round(totalCalls / Math.max(1, input.deliveredProducts), 1),
    topOperations,
    lambdaGbSeconds: round(gbSeconds, 2),
    lambdaInvocations,
    sfnTransitions: saga.transitions,
    dynamoDbWru: wru,
    dynamoDbRru: rru,
    usdPer1000Files: usd,
  };
}
