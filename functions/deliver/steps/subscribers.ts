/**
 * Subscribers: who is notified of which product types. The CDK app declares them
 * (infra/cdk/subscribers.ts), creates a queue for each and hands the saga function the list as
 * JSON in `COMETFLOW_SUBSCRIBERS`.
 */
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';

/** Subscribes to every product type. */
export const AllProductTypes = '*';

export const SubscriberSchema = z.object({
  /** PascalCase name; also the suffix of its `QueueSubscriber<Name>` stack output. */
  name: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'a PascalCase name'),
  queueUrl: z.string().min(1),
  /** Product types it receives; `*` for all. */
  productTypes: z.array(z.string().min(1)).min(1),
  /**
   * Its queue is SQS FIFO: notifications carry a message group (the product's stream, else its
   * type) and the product id as deduplication id, and a stream's products go in sensing order.
   */
  ordered: z.boolean().default(false),
});
export type Subscriber = z.input<typeof SubscriberSchema>;

/** Parses the `COMETFLOW_SUBSCRIBERS` JSON; throws naming the problem. */
export function parseSubscribers(json: string): Subscriber[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(
      `Subscribers are not JSON (first 80 characters: ${JSON.stringify(json.slice(0, 80))}); expected [{ name, queueUrl, productTypes }]`,
      { cause: error },
    );
  }
  const parsed = z.array(SubscriberSchema).safeParse(value);
  if (!parsed.success)
    throw new Error(`Subscribers do not match [{ name, queueUrl, productTypes }]: ${z.prettifyError(parsed.error)}`);
  return parsed.data as Subscriber[];
}

/** The subscribers of a product type, in configuration order. */
export const subscribersOf = (productType: string, subscribers: readonly Subscriber[]): Subscriber[] =>
  subscribers.filter((s) => s.productTypes.includes(productType) || s.productTypes.includes(AllProductTypes));
