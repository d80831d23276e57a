/** The run's report as a table for the terminal and the README; the JSON is the report itself. */
import type { EnduranceReport } from './harness.ts';

const pad = (rows: readonly (readonly string[])[]): string[] => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map(
    (r) => `| ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`,
  );
};
const table = (header: readonly string[], rows: readonly (readonly string[])[]): string[] => {
  const [head, ...body] = pad([header, ...rows]);
  return [head!, `|${head!.slice(1, -1).replace(/[^|]/g, '-')}|`, ...body];
};
const seconds = (value: number): string => (Number.isNaN(value) ? 'n/a' : value.toFixed(1));

/** The report as Markdown tables (readable in a terminal too). */
export function formatReport(report: EnduranceReport): string[] {
  const { account, faults, deadLetters, latencies, cost } = report;
  const lines: string[] = [];
  lines.push(
    `endurance run of ${report.startedAt}: ${report.options.minutes} min of traffic ` +
      `at compression ${report.options.compression}, ` +
      `fault rate ${report.options.faults ? report.options.faultRate : 0}; ` +
      `${report.uploads.cycles} cycles, ${report.uploads.planned} uploads ` +
      `(${report.uploads.duplicates} duplicates, ${report.uploads.bad} bad); ` +
      `traffic ${seconds(report.seconds.traffic)} s, settle ${seconds(report.seconds.settle)} s`,
  );
  lines.push('');
  lines.push(
    ...table(
      ['product / outcome', 'expected', 'delivered', 'in time', 'duplicated', 'closed late', 'lost'],
      account.rows.map((r) => [
        r.type,
        String(r.expected),
        String(r.delivered),
        String(r.inTime),
        String(r.duplicated),
        String(r.closedLate),
        String(r.lost),
      ]),
    ),
  );
  const products = account.rows.find((r) => r.type === 'fci-cycle-statistics');
  if (products !== undefined && products.expected > 0) {
    const share = (n: number): string => `${((100 * n) / products.expected).toFixed(1)} %`;
    lines.push(
      `products delivered: ${share(products.delivered)} of expected, in time: ${share(products.inTime)} ` +
        "(the facility's target: 99.8 % delivered)",
    );
  }
  lines.push(
    'cycles delivered degraded because faults held chunks past the deadline: ' +
      `${account.degradedByDelay} (delivered, not in time); abandoned at the deadline for the same reason ` +
      `(closed late: not delivered, every input accounted for): ${account.abandonedByDelay}; ` +
      `ingested files still in the inbox (their removal after archiving failed): ${account.retainedInInbox}`,
  );
  const late = Object.entries(account.outOfOrder).filter(([, n]) => n > 0);
  if (late.length > 0)
    lines.push(
      `ordered notifications marked late (a later product of the stream went first): ` +
        late.map(([role, n]) => `${role} ${n}`).join(', '),
    );
  lines.push('');
  lines.push(
    ...table(
      ['fault injected', 'count'],
      Object.entries(faults)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, String(v)]),
    ),
  );
  lines.push('');
  const dlqRows = Object.keys(deadLetters.beforeRedrive)
    .filter((k) => deadLetters.beforeRedrive[k]! > 0 || (deadLetters.afterRedrive[k] ?? 0) > 0)
    .map((k) => [k, String(deadLetters.beforeRedrive[k]), String(deadLetters.afterRedrive[k] ?? 0)]);
  lines.push(
    ...table(
      ['dead-letter queue', 'before redrive', 'after redrive'],
      dlqRows.length > 0 ? dlqRows : [['(all)', '0', '0']],
    ),
  );
  lines.push('');
  lines.push(
    ...table(
      ['latency (s)', 'p50', 'p99'],
      [
        ['cycle due -> product delivered', seconds(latencies.deliveryP50), seconds(latencies.deliveryP99)],
        ['upload -> file ingested', seconds(latencies.ingestP50), seconds(latencies.ingestP99)],
        ['lightning upload -> delivered', seconds(latencies.lightningP50), seconds(latencies.lightningP99)],
      ],
    ),
  );
  lines.push('');
  lines.push(
    `AWS calls: ${cost.callsPerAcceptedFile} per accepted file, ` +
      `${cost.callsPerDeliveredProduct} per delivered product ` +
      `(${Object.entries(cost.callsByService)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}); Lambda ${cost.lambdaInvocations} invocations, ` +
      `${cost.lambdaGbSeconds} GB-s; ${cost.sfnTransitions} state transitions; ` +
      `DynamoDB ~${cost.dynamoDbWru} WRU, ~${cost.dynamoDbRru} RRU`,
  );
  lines.push(
    ...table(
      ['top operations', 'calls', 'per file'],
      cost.topOperations.map((o) => [o.operation, String(o.calls), String(o.perFile)]),
    ),
  );
  lines.push('');
  lines.push(
    ...table(
      [`USD per 1,000 files (prices ${cost.pricesAsOf})`, 'USD'],
      Object.entries(cost.usdPer1000Files).map(([k, v]) => [k, v.toFixed(4)]),
    ),
  );
  lines.push('');
  if (account.problems.length === 0)
    lines.push(
      'account: every file, cycle and product sent accounted for; nothing lost, nothing duplicated, nothing left behind',
    );
  else {
    lines.push(`account: ${account.problems.length} problem(s)`);
    for (const problem of account.problems.slice(0, 50)) lines.push(`  - ${problem}`);
  }
  if (account.heldBack.length > 0)
    lines.push(`late chunks held back because their cycle never closed: ${account.heldBack.length}`);
  if (account.harnessFailures.length > 0) {
    // Loud: the account covers only what was sent, so this run proves less than it should.
    lines.push('');
    lines.push(`HARNESS FAILURE: ${account.harnessFailures.length} (the run fails; the account covers what was sent)`);
    for (const failure of account.harnessFailures.slice(0, 50)) lines.push(`  ! ${failure}`);
  }
  return lines;
}
