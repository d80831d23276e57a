/** The DynamoDB tables of the pipeline. */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type CfnTable,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
  type TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Grant } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Env, type EnvName } from '#shared/config.ts';
import type { ConfigurableGrantee } from './bundled-function.ts';
import { acknowledgeOnGrantee, arnReference } from './nag.ts';
import { FailureTable } from '#shared/stage/failure-records.ts';

/** The role each table plays; also the suffix of its `Table<Role>` stack output. */
export const TableRoles = [
  'Catalog',
  'Scheduler',
  'EventStore',
  'Deliveries',
  'Idempotency',
  'Status',
  'Failures',
] as const;
export type TableRole = (typeof TableRoles)[number];

/** The variable through which a function granted a table finds its name. */
export const TableVariables: Readonly<Record<TableRole, EnvName>> = {
  Catalog: Env.catalogTable,
  Scheduler: Env.schedulerTable,
  EventStore: Env.eventStoreTable,
  Deliveries: Env.deliveriesTable,
  Idempotency: Env.idempotencyTable,
  Status: Env.statusTable,
  Failures: Env.failuresTable,
};

/** Properties of `PipelineTables`. */
export interface PipelineTablesProps {
  /**
   * What happens to the tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The seven tables, all on-demand, with point-in-time recovery and AWS-managed encryption:
 * `Catalog` (files), `Scheduler` (pending work, expiring), `EventStore` (every event, by day, with
 * a stream of new images for the read side), `Deliveries`, `Idempotency` (the Powertools
 * idempotency layout: key `id`, TTL `expiration`) and `Status` (the read model projected from the
 * event store's stream: one item per file, cycle and product, listed by kind and day) and `Failures`
 * (why a stage gave up on a message, keyed by its SQS message id, listed by day and correlation).
 *
 * @example
 * const tables = new PipelineTables(this, 'Tables');
 * tables.grantReadWriteData('Catalog', intake.fn);
 */
export class PipelineTables extends Construct {
  /** Files known to the pipeline. Key `pk`/`sk`. */
  public readonly catalog: Table;
  /** Work the scheduler waits on. Key `pk`/`sk`, TTL `expiresAt`. */
  public readonly scheduler: Table;
  /** Every event seen. Key `pk`/`sk`, index `byDay` (`day`/`sk`), TTL `expiresAt`, stream of new images. */
  public readonly eventStore: Table;
  /** The status read model. Key `pk` (`<kind>#<id>`), index `byKindDay` (`kindDay`/`pk`, the view only), TTL `expiresAt`. */
  public readonly status: Table;
  /** Deliveries made. Key `pk`. */
  public readonly deliveries: Table;
  /** Powertools idempotency records. Key `id`, TTL `expiration`. */
  public readonly idempotency: Table;
  /** Failure records. Key `messageId`, indexes `byDay` (`day`/`failedAt`) and `byCorrelation`, TTL `expiresAt`. */
  public readonly failures: Table;
  /** Tables with a secondary index, whose grants reach `<table>/index/*`. */
  private readonly indexedTables: ReadonlySet<Table>;

  public constructor(scope: Construct, id: string, props: PipelineTablesProps = {}) {
    super(scope, id);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    } as const satisfies Partial<TableProps>;
    const pk = { name: 'pk', type: AttributeType.STRING };
    const sk = { name: 'sk', type: AttributeType.STRING };

    this.catalog = new Table(this, 'Catalog', { ...common, partitionKey: pk, sortKey: sk });
    this.scheduler = new Table(this, 'Scheduler', {
      ...common,
      partitionKey: pk,
      sortKey: sk,
      timeToLiveAttribute: 'expiresAt',
    });
    this.eventStore = new Table(this, 'EventStore', {
      ...common,
      partitionKey: pk,
      sortKey: sk,
      timeToLiveAttribute: 'expiresAt',
      // The read side (the status projector) follows the store through its stream.
      stream: StreamViewType.NEW_IMAGE,
    });
    this.eventStore.addGlobalSecondaryIndex({
      indexName: 'byDay',
      partitionKey: { name: 'day', type: AttributeType.STRING },
      sortKey: sk,
    });
    this.deliveries = new Table(this, 'Deliveries', { ...common, partitionKey: pk });
    this.idempotency = new Table(this, 'Idempotency', {
      ...common,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
    });
    this.status = new Table(this, 'Status', { ...common, partitionKey: pk, timeToLiveAttribute: 'expiresAt' });
    this.status.addGlobalSecondaryIndex({
      indexName: 'byKindDay',
      partitionKey: { name: 'kindDay', type: AttributeType.STRING },
      sortKey: pk,
      // Listings read views, not the facts they were folded from.
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: ['view', 'stage'],
    });
    this.failures = new Table(this, 'Failures', {
      ...common,
      partitionKey: { name: FailureTable.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: FailureTable.ttl,
    });
    const failedAt = { name: 'failedAt', type: AttributeType.STRING };
    this.failures.addGlobalSecondaryIndex({
      indexName: FailureTable.byDay,
      partitionKey: { name: 'day', type: AttributeType.STRING },
      sortKey: failedAt,
    });
    this.failures.addGlobalSecondaryIndex({
      indexName: FailureTable.byCorrelation,
      partitionKey: { name: 'correlationId', type: AttributeType.STRING },
      sortKey: failedAt,
    });
    this.indexedTables = new Set([this.eventStore, this.status, this.failures]);
  }

  /** The table playing `role`. */
  public table(role: TableRole): Table {
    const byRole: Record<TableRole, Table> = {
      Catalog: this.catalog,
      Scheduler: this.scheduler,
      EventStore: this.eventStore,
      Deliveries: this.deliveries,
      Idempotency: this.idempotency,
      Status: this.status,
      Failures: this.failures,
    };
    return byRole[role];
  }

  /**
   * Lets `grantee` read items of the table playing `role` (and query its indexes), and tells it
   * the table's name: for readers of another service's records, such as the delivery calendar
   * reading the event store.
   */
  public grantReadData(role: TableRole, grantee: ConfigurableGrantee): Grant {
    const table = this.table(role);
    grantee.addEnvironment(TableVariables[role], table.tableName);
    const grant = table.grantReadData(grantee);
    if (this.indexedTables.has(table)) {
      const cfnTable = table.node.defaultChild as CfnTable;
      acknowledgeOnGrantee(grantee, [
        {
          rule: `IAM5[Resource::${arnReference(cfnTable)}/index/*]`,
          reason: `Table.grantReadData: queries on the indexes of the ${role} table only.`,
        },
      ]);
    }
    return grant;
  }

  /**
   * Lets `grantee` write items of the table playing `role`, not read them, and tells it the
   * table's name: for a writer of records only others read, such as a stage's failure records.
   */
  public grantWriteData(role: TableRole, grantee: ConfigurableGrantee): Grant {
    const table = this.table(role);
    grantee.addEnvironment(TableVariables[role], table.tableName);
    const grant = table.grantWriteData(grantee);
    if (this.indexedTables.has(table)) {
      const cfnTable = table.node.defaultChild as CfnTable;
      acknowledgeOnGrantee(grantee, [
        {
          rule: `IAM5[Resource::${arnReference(cfnTable)}/index/*]`,
          reason: `Table.grantWriteData: the indexes of the ${role} table only (indexes cannot be written: no effect).`,
        },
      ]);
    }
    return grant;
  }

  /**
   * Lets `grantee` read and write items of the table playing `role` (and query its indexes),
   * and tells it the table's name (`TableVariables[role]`).
   */
  public grantReadWriteData(role: TableRole, grantee: ConfigurableGrantee): Grant {
    const table = this.table(role);
    grantee.addEnvironment(TableVariables[role], table.tableName);
    const grant = table.grantReadWriteData(grantee);
    if (this.indexedTables.has(table)) {
      const cfnTable = table.node.defaultChild as CfnTable;
      acknowledgeOnGrantee(grantee, [
        {
          rule: `IAM5[Resource::${arnReference(cfnTable)}/index/*]`,
          reason: `Table.grantReadWriteData: queries on the indexes of the ${role} table only.`,
        },
      ]);
    }
    return grant;
  }
}
