/**
 * Metric names and dimensions, shared by the code that emits them (Powertools metrics, EMF in
 * the logs) and the CDK constructs that chart and alarm on them: a rename cannot leave a
 * dashboard or an alarm watching a metric nobody emits.
 */

/** The CloudWatch namespace of every custom metric. */
export const MetricsNamespace = 'cometflow';

/** Names of the custom metrics. */
export const MetricNames = {
  /** A stage handled a record (stage handler, per service). */
  recordsProcessed: 'RecordsProcessed',
  /** A stage failed a record; it comes back, and reaches the DLQ after maxReceiveCount. */
  recordsFailed: 'RecordsFailed',
  /** Seconds from the end of sensing (or the analysis time) to a file's arrival, per provider. */
  arrivalLateness: 'ArrivalLatenessSeconds',
  /** Seconds from a cycle's nominal end (or a forecast's analysis time) to its product's delivery, per product type. */
  productTimeliness: 'ProductTimelinessSeconds',
  /** Events folded into the status read model. */
  eventsProjected: 'EventsProjected',
  /** A delivery whose compensation ran (`delivery.compensated` projected), per product type. */
  deliveriesCompensated: 'DeliveriesCompensated',
  /** The calendar raised `input.missing`, per provider. */
  inputMissing: 'InputMissing',
  /** The calendar raised `provider.silent`, per provider. */
  providerSilent: 'ProviderSilent',
} as const;

/** Dimension names beside Powertools' own `service`. */
export const MetricDimensions = {
  /** Powertools adds it to every metric: the emitting function's service name. */
  service: 'service',
  provider: 'provider',
  productType: 'productType',
} as const;

/** The service name (Powertools `serviceName`) the projector emits its metrics under. */
export const ProjectorService = 'projector';

/** The service name the delivery calendar's check emits its metrics under. */
export const CalendarService = 'calendar';
