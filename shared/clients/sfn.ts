/**
 * The Step Functions client, in a module of its own so that only the functions that start
 * executions bundle it. Like the other clients, its endpoint comes from the SDK's standard
 * settings (`AWS_ENDPOINT_URL_SFN` points it at the local Step Functions endpoint).
 */
import { SFNClient } from '@aws-sdk/client-sfn';

let sfn: SFNClient | undefined;

/** The Step Functions client of this process. */
export const sfnClient = (): SFNClient => (sfn ??= new SFNClient({}));
