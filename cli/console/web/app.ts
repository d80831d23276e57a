/**
 * The console's page, in the browser: Preact components written as htm templates. Every value
 * is put into the page as text by Preact (never as markup), so a file name is always data. The
 * views subscribe to the server's live streams (`/api/live/<view>`, server-sent events) and
 * redraw when the server sends a changed view; the only writes are POSTs to the console's own
 * server, each after the operator confirmed it in a dialog.
 */
import { html, render } from 'htm/preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import {
  durationText,
  type CellState,
  type CycleRow,
  type Cycles,
  type DeadLetterRow,
  type FailureRecords,
  type Failures,
  type LiStrip,
  type NoStack,
  type Overview,
  type Reconciliation,
  type Rerun,
  type StageRow,
  type Trace,
  type WindowState,
} from '../views.ts';

type Live<T> = { readonly data?: T | NoStack; readonly error?: string; readonly connected: boolean };

/** Subscribes to a live view; the EventSource reconnects by itself when the server restarts. */
function useLive<T>(view: string, query = ''): Live<T> {
  const [state, setState] = useState<Live<T>>({ connected: false });
  useEffect(() => {
    setState({ connected: false });
    const source = new EventSource(`/api/live/${view}${query === '' ? '' : `?${query}`}`);
    source.addEventListener('view', (event) => {
      setState({ data: JSON.parse((event as MessageEvent<string>).data) as T | NoStack, connected: true });
      // The browser tests read when each view last changed, to measure update latency.
      document.documentElement.dataset.updatedAt = String(Date.now());
    });
    source.addEventListener('problem', (event) => {
      setState((s) => ({
        ...s,
        error: (JSON.parse((event as MessageEvent<string>).data) as { error: string }).error,
        connected: true,
      }));
    });
    source.onerror = () => setState((s) => ({ ...s, connected: false }));
    return () => source.close();
  }, [view, query]);
  return state;
}

const isNoStack = (value: unknown): value is NoStack =>
  typeof value === 'object' && value !== null && 'noStack' in value;

const seconds = (value: number | undefined): string => (value === undefined ? '–' : durationText(value));

const clock = (iso: string | undefined): string =>
  iso === undefined || iso === '' ? '–' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** The route in the location's hash: `#/cycles`, `#/trace?q=...`. */
function useRoute(): { page: string; params: URLSearchParams } {
  const read = (): { page: string; params: URLSearchParams } => {
    const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
    return { page: path === '' ? 'overview' : path, params: new URLSearchParams(query) };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = (): void => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

const traceHref = (query: string): string => `#/trace?${new URLSearchParams({ q: query }).toString()}`;

function Problem({ live }: { live: Live<unknown> }) {
  if (isNoStack(live.data)) {
    return html`<div class="banner critical" role="alert" data-testid="no-stack">
      <strong>No running stack.</strong> ${live.data.message}</div>`;
  }
  if (live.error !== undefined)
    return html`<div class="banner critical" role="alert">The stack answered with an error: ${live.error}</div>`;
  if (!live.connected && live.data !== undefined)
    return html`<div class="banner warning" role="status">Reconnecting to the console server…</div>`;
  return null;
}

function Depth({ value, label }: { value: number; label: string }) {
  return html`<td class=${value > 0 ? 'num busy' : 'num'} aria-label=${`${label}: ${value}`}>${value}</td>`;
}

/** Asks before a write, in a modal dialog (keyboard: Tab between the buttons, Escape cancels). */
function Confirm({
  text,
  action,
  onConfirm,
  onClose,
}: {
  text: string;
  action: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  // A layout effect: the dialog is modal in the frame it first appears in, so an Escape pressed as
  // soon as its text shows cancels it (a deferred effect could open it after that key was lost).
  useLayoutEffect(() => {
    dialog.current?.showModal();
  }, []);
  return html`<dialog ref=${dialog} aria-labelledby="confirm-text" onClose=${onClose} data-testid="confirm">
    <p id="confirm-text">${text}</p>
    <form method="dialog" class="actions">
      <button value="cancel" autofocus>Cancel</button>
      <button value="ok" class="danger" onClick=${(e: Event) => {
        e.preventDefault();
        dialog.current?.close();
        onConfirm();
      }}>${action}</button>
    </form>
  </dialog>`;
}

/** A redrive button for one DLQ: confirm, POST, say what moved. */
function Redrive({ role, sourceRole, held }: { role: string; sourceRole: string; held: number }) {
  const [asking, setAsking] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setBusy(true);
    try {
      const response = await fetch('/api/redrive', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ queue: role, confirm: role }),
      });
      const body = (await response.json()) as { lines?: string[]; error?: string };
      setResult(response.ok ? (body.lines ?? []).join(' ') : `failed: ${body.error ?? response.status}`);
    } catch (error) {
      setResult(`failed: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="redrive">
    <button disabled=${held === 0 || busy} onClick=${() => setAsking(true)}
      aria-label=${`Redrive ${role} to ${sourceRole}`}>Redrive</button>
    ${
      asking &&
      html`<${Confirm}
        text=${`Move the ${held} message(s) in ${role} back to ${sourceRole}? They will be processed again.`}
      action="Redrive" onConfirm=${() => {
        void run();
      }} onClose=${() => setAsking(false)} />`
    }
    ${result !== undefined && html`<span role="status" class="result">${result}</span>`}
  </span>`;
}

function StageTable({ stages }: { stages: readonly StageRow[] }) {
  return html`<table class="stages" data-testid="stages">
    <caption>Stages and lanes: queue depth now, events published in the last hour</caption>
    <thead><tr>
      <th scope="col">stage</th><th scope="col">lane</th><th scope="col" class="num">waiting</th><th scope="col"
        class="num">in flight</th>
      <th scope="col" class="num">delayed</th><th scope="col" class="num">done 1 h</th><th scope="col"
        class="num">failed 1 h</th>
      <th scope="col">dead letters</th>
    </tr></thead>
    <tbody>${stages.map((row) => {
      const held = row.deadLetters ?? 0;
      return html`<tr key=${row.role} data-role=${row.role}>
        <th scope="row">${row.stage}<span class="role">${row.role}</span></th>
        <td>${row.lane}</td>
        <${Depth} value=${row.waiting} label="waiting" /><${Depth} value=${row.inFlight} label="in flight" />
        <${Depth} value=${row.delayed} label="delayed" />
        <td class="num">${row.done}</td><td class=${row.failed > 0 ? 'num bad' : 'num'}>${row.failed}</td>
        <td>${
          row.deadLetterRole === undefined
            ? '–'
            : html`<span class=${held > 0 ? 'bad' : ''} data-testid=${`dlq-${row.deadLetterRole}`}>${held}</span>
          <${Redrive} role=${row.deadLetterRole} sourceRole=${row.role} held=${held} />`
        }</td>
      </tr>`;
    })}</tbody>
  </table>`;
}

/** The read model's counts of the day (`cometflow status`): what waits at which stage, and since when. */
function ReadModel({ status }: { status: Overview['status'] }) {
  return html`<table class="readmodel" data-testid="read-model">
    <caption>Status read model, ${status.day}: files, cycles and products per stage</caption>
    <thead><tr><th scope="col">kind</th><th scope="col">stage</th><th scope="col" class="num">count</th>
      <th scope="col">oldest waiting</th></tr></thead>
    <tbody>${status.readModel.map(
      (s) => html`<tr key=${`${s.kind}${s.stage}`}>
      <td>${s.kind}</td><td>${s.stage}</td><td class="num">${s.count}</td>
      <td>${
        s.oldestWaitingSince === undefined
          ? '–'
          : html`${seconds(secondsSince(s.oldestWaitingSince, status.at))}
        <a class="key" href=${traceHref(s.oldestWaitingId ?? '')}>${s.oldestWaitingId}</a>`
      }</td>
    </tr>`,
    )}</tbody>
  </table>`;
}

const secondsSince = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / 1000;

function OverviewPage() {
  const live = useLive<Overview>('overview');
  const data = isNoStack(live.data) ? undefined : live.data;
  return html`<section aria-labelledby="overview-title">
    <h2 id="overview-title">Overview</h2>
    <${Problem} live=${live} />
    ${
      data === undefined
        ? live.data === undefined && html`<p class="loading">Reading the stack…</p>`
        : html`
      <section aria-label="Alerts" class="alerts" data-testid="alerts">
        ${
          data.alerts.length === 0
            ? html`<p class="ok">No alerts.</p>`
            : html`<ul>${data.alerts.map(
                (alert, i) => html`<li key=${i} class=${alert.severity} data-kind=${alert.kind}>
          <strong>${alert.kind}</strong> ${alert.text} ${(alert.subjects ?? []).map(
            (subject) => html` <a key=${subject} href=${traceHref(subject)} data-subject=${subject}
            aria-label=${`trace ${subject}`}>${subject}</a>`,
          )}</li>`,
              )}</ul>`
        }
      </section>
      <${StageTable} stages=${data.stages} />
      <div class="running">
        <${ReadModel} status=${data.status} />
        <table><caption>Running</caption><tbody>
          ${Object.entries(data.status.executions).map(
            ([role, count]) => html`<tr key=${role}>
            <th scope="row">${role} saga executions</th><td class="num">${count}</td></tr>`,
          )}
          ${Object.entries(data.status.containerTasks).map(
            ([role, tasks]) => html`<tr key=${role}>
            <th scope="row">${role} container tasks</th>
            <td
              class="num">${
                typeof tasks === 'string' ? tasks : `${tasks.running} running, ${tasks.pending} pending`
              }</td></tr>`,
          )}
        </tbody></table>
      </div>
      <p class="meta">Read ${clock(data.generatedAt)}; done and failed count the events each stage published
        since ${clock(data.window.from)}.</p>`
    }
  </section>`;
}

const STATE_LABEL: Readonly<Record<CellState, string>> = {
  pending: 'not yet',
  arrived: 'arrived',
  ingested: 'ingested',
  duplicate: 'duplicate',
  late: 'late',
  missing: 'missing',
};

/** A cycle's 41 chunk cells and its forecast cell. */
function Cells({ row }: { row: CycleRow }) {
  const count = (state: CellState): number => row.cells.filter((c) => c === state).length;
  const summary =
    `${count('ingested') + count('duplicate')} of ${row.cells.length} chunks ingested, ${count('arrived')} arrived, ` +
    `${count('missing')} missing, ${count('late')} late, ${count('duplicate')} duplicate; ` +
    `forecast ${STATE_LABEL[row.forecast]}`;
  return html`<div class="cells" role="img" aria-label=${summary} title=${summary}>
    ${row.cells.map(
      (state, i) => html`<span key=${i} class=${`cell ${state}`} data-state=${state}
      title=${`chunk ${i + 1}: ${STATE_LABEL[state]}`}></span>`,
    )}
    <span class=${`cell forecast ${row.forecast}`} data-state=${row.forecast} data-slot="forecast"
      title=${`forecast: ${STATE_LABEL[row.forecast]}`}>F</span>
  </div>`;
}

function Legend() {
  return html`<p class="legend" aria-label="Legend">${(Object.keys(STATE_LABEL) as CellState[]).map(
    (state) => html`<span key=${state}>
    <span class=${`cell ${state}`} aria-hidden="true"></span> ${STATE_LABEL[state]}</span>`,
  )}</p>`;
}

function processing(row: CycleRow): string {
  const { view } = row;
  if (view.abandoned !== undefined) return 'abandoned';
  if (view.fired === undefined) return 'waiting';
  return view.fired.degraded ? `degraded (${view.fired.missing.length} missing)` : 'complete';
}

const WINDOW_LABEL: Readonly<Record<WindowState, string>> = {
  pending: 'nothing yet',
  arrived: 'file arrived',
  ingested: 'file ingested',
  rejected: 'file quarantined',
  generated: 'product generated',
  delivered: 'product delivered',
  failed: 'delivery compensated',
};

const timeOfDay = (iso: string): string => iso.slice(11, 19);

/** The lightning streams: a strip per stream and repeat cycle, a cell per 30 s window (its own product). */
function LightningStrips({ strips }: { strips: readonly LiStrip[] }) {
  if (strips.length === 0) return html`<p class="meta">No lightning (LI) window has events in this period.</p>`;
  return html`<table class="lightning" data-testid="lightning">
    <caption>Lightning Imager streams: a cell per 30 s window, each its own product, latest first</caption>
    <thead><tr><th scope="col">stream</th><th scope="col">cycle</th><th scope="col">windows 1–20</th>
      <th scope="col" class="num">delivered</th><th scope="col" class="num">worst timeliness</th></tr></thead>
    <tbody>${strips.map((strip) => {
      const delivered = strip.windows.filter((w) => w.state === 'delivered');
      const worst = Math.max(...delivered.map((w) => w.timelinessSeconds ?? Number.NEGATIVE_INFINITY));
      const summary = (Object.keys(WINDOW_LABEL) as WindowState[])
        .map((state) => [state, strip.windows.filter((w) => w.state === state).length] as const)
        .filter(([, n]) => n > 0)
        .map(([state, n]) => `${n} ${WINDOW_LABEL[state]}`)
        .join(', ');
      return html`<tr key=${`${strip.stream} ${strip.cycleId}`} data-stream=${strip.stream}
        data-cycle=${strip.cycleId}>
        <th scope="row">${strip.stream}</th>
        <td><a href=${traceHref(strip.cycleId)}>${strip.cycleId}</a></td>
        <td><div class="strip" role="img" aria-label=${`${strip.stream} ${strip.cycleId}: ${summary}`}>${strip.windows.map(
          (w) => html`<span key=${w.count} class=${`cell w-${w.state}`} data-state=${w.state} data-window=${w.count}
            title=${`window ${w.count} (${timeOfDay(w.start)}): ${WINDOW_LABEL[w.state]}${
              w.timelinessSeconds === undefined ? '' : `, ${seconds(w.timelinessSeconds)} after its end`
            }`}></span>`,
        )}</div></td>
        <td class="num">${delivered.length}/${strip.windows.length}</td>
        <td class="num">${delivered.length === 0 || !Number.isFinite(worst) ? '–' : seconds(worst)}</td>
      </tr>`;
    })}</tbody>
  </table>`;
}

function WindowLegend() {
  return html`<p class="legend" aria-label="Legend of the lightning windows">${(
    Object.keys(WINDOW_LABEL) as WindowState[]
  ).map(
    (state) => html`<span key=${state}>
    <span class=${`cell w-${state}`} aria-hidden="true"></span> ${WINDOW_LABEL[state]}</span>`,
  )}</p>`;
}

function CyclesPage() {
  const live = useLive<Cycles>('cycles');
  const data = isNoStack(live.data) ? undefined : live.data;
  return html`<section aria-labelledby="cycles-title">
    <h2 id="cycles-title">Repeat cycles</h2>
    <${Problem} live=${live} />
    <${Legend} />
    ${
      data === undefined
        ? live.data === undefined && html`<p class="loading">Reading the status read model…</p>`
        : data.rows.length === 0
          ? html`<p>No cycle has events since ${clock(data.window.from)}.</p>`
          : html`<table class="cycles" data-testid="cycles">
        <caption>Cycles with events since ${clock(data.window.from)}, latest first</caption>
        <thead><tr><th scope="col">cycle</th><th scope="col">chunks 1–41 and forecast</th><th
          scope="col">processing</th>
          <th scope="col">state</th>
          <th scope="col" class="num">timeliness<span class="role">sensing end → delivered</span></th>
          <th scope="col" class="num">pipeline<span class="role">first chunk in → delivered</span></th></tr></thead>
        <tbody>${data.rows.map(
          (row) => html`<tr key=${row.view.id} data-cycle=${row.view.id} data-status=${row.view.stage}>
          <th scope="row"><a href=${traceHref(row.view.id)}>${row.view.id}</a></th>
          <td><${Cells} row=${row} /></td>
          <td>${processing(row)}</td>
          <td class=${`status ${row.view.stage.split(' ')[0]}`}>${row.view.stage}</td>
          <td class="num">${seconds(row.timelinessSeconds)}</td><td class="num">${seconds(row.pipelineSeconds)}</td>
        </tr>`,
        )}</tbody></table>`
    }
    ${
      data !== undefined &&
      html`<h3>Lightning (LI) windows</h3><${WindowLegend} /><${LightningStrips} strips=${data.lightning} />`
    }
  </section>`;
}

function TracePage({ query }: { query: string }) {
  const [text, setText] = useState(query);
  useEffect(() => setText(query), [query]);
  const live = useLive<Trace>('trace', query === '' ? '' : new URLSearchParams({ q: query }).toString());
  const data = query === '' || isNoStack(live.data) ? undefined : live.data;
  const submit = (event: Event): void => {
    event.preventDefault();
    location.hash = traceHref(text.trim());
  };
  return html`<section aria-labelledby="trace-title">
    <h2 id="trace-title">Trace</h2>
    <form class="search" role="search" onSubmit=${submit}>
      <label for="trace-query">Inbox key, file name, cycle id or product id</label>
      <input id="trace-query" name="q" value=${text}
        onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)}
        placeholder="20261122-061" autocomplete="off" spellcheck=${false} />
      <button type="submit">Trace</button>
    </form>
    ${query !== '' && html`<${Problem} live=${live} />`}
    ${
      data !== undefined &&
      (data.found
        ? html`<${TraceResult} trace=${data} />`
        : html`<div class="notfound" data-testid="not-found" role="status">
      <p><strong>Not found.</strong> ${data.message}</p>
      ${
        data.suggestions.length > 0 &&
        html`<p>Did you mean: ${data.suggestions.map(
          (s, i) => html`${i > 0 ? ', ' : ''}<a key=${s} href=${traceHref(s)}>${s}</a>`,
        )}</p>`
      }
    </div>`)
    }
  </section>`;
}

/** Stages whose time is not when they happened: a deadline timer carries the deadline it stands for. */
const NOMINAL_TIME = ['deadline.reached'];

/** A few facts of the read model's view, by kind, as `cometflow trace` prints them. */
function facts(view: Extract<Trace, { found: true }>['view']): [string, string][] {
  const out: [string, string | number | undefined][] =
    view.kind === 'file'
      ? [
          ['archive', view.archiveKey],
          ['quarantine', view.quarantineKey],
          ['uploads', view.attempts],
          [
            'arrived after sensing end',
            view.arrivalLatenessSeconds === undefined ? undefined : seconds(view.arrivalLatenessSeconds),
          ],
        ]
      : view.kind === 'product'
        ? [
            ['type', view.productType],
            ['correlation', view.correlationId],
            ['timeliness', view.timelinessSeconds === undefined ? undefined : seconds(view.timelinessSeconds)],
          ]
        : [
            [
              'window',
              view.window === undefined ? undefined : `${clock(view.window.start)} .. ${clock(view.window.end)}`,
            ],
            ['products', view.productIds.join(', ') || undefined],
            ['references', view.fired?.references?.join(', ') || undefined],
            ['duplicates', (view.duplicates ?? []).map((d) => `chunk ${d.slot} x${d.count}`).join(', ') || undefined],
            ['late', view.late.join(', ') || undefined],
          ];
  return out.flatMap(([label, value]) => (value === undefined ? [] : [[label, String(value)] as [string, string]]));
}

function TraceResult({ trace }: { trace: Extract<Trace, { found: true }> }) {
  const line = trace.stages.filter((s) => !NOMINAL_TIME.includes(s.name));
  const times = line.map((s) => Date.parse(s.at));
  const start = Math.min(...times);
  const span = Math.max(1, Math.max(...times) - start);
  const at = (iso: string): number => ((Date.parse(iso) - start) / span) * 100;
  return html`<div data-testid="trace">
    <p class="state">${trace.kind} <strong>${trace.id}</strong>: <span class=${`status ${trace.state}`}
      data-testid="trace-state">${trace.state}</span></p>
    ${
      trace.why.length > 0 &&
      html`<ul class="why" data-testid="why">${trace.why.map(
        (text, i) => html`<li
      key=${i}>${text}</li>`,
      )}</ul>`
    }
    ${
      trace.file !== undefined &&
      html`<p data-testid="file-state"
      data-state=${trace.file.state}>chunk ${trace.file.slot}: <strong>${trace.file.state}</strong></p>`
    }
    ${trace.cycle !== undefined && html`<${Legend} /><${Cells} row=${trace.cycle} />`}
    ${
      trace.links.length > 0 &&
      html`<p>Linked: ${trace.links.map(
        (link, i) => html`${i > 0 ? ', ' : ''}<a
      key=${link.query} href=${traceHref(link.query)}>${link.label}</a>`,
      )}</p>`
    }
    <dl class="facts">${facts(trace.view).map(
      ([label, value]) => html`<dt key=${label}>${label}</dt><dd
      class="key">${value}</dd>`,
    )}</dl>
    <table class="timeline" data-testid="stage-line">
      <caption>Stages on a time line (first time each was reached),
        from ${clock(new Date(start).toISOString())}, ${(span / 1000).toFixed(2)} s in all</caption>
      <thead><tr><th scope="col">stage</th><th scope="col">at</th><th scope="col" class="num">after start</th>
        <th scope="col" class="line">time line</th></tr></thead>
      <tbody>${line.map((s, i) => {
        const from = i === 0 ? s.at : line[i - 1]!.at;
        return html`<tr key=${s.name}>
          <th scope="row">${s.name}</th><td><time datetime=${s.at}>${clock(s.at)}</time></td>
          <td class="num">+${((Date.parse(s.at) - start) / 1000).toFixed(2)} s</td>
          <td class="line" aria-hidden="true"><span class="bar"><span style=${{
            marginLeft: `${at(from).toFixed(2)}%`,
            width: `${Math.max(0.8, at(s.at) - at(from)).toFixed(2)}%`,
          }}></span></span></td>
        </tr>`;
      })}</tbody></table>
    ${trace.stages
      .filter((s) => NOMINAL_TIME.includes(s.name))
      .map(
        (s) => html`<p key=${s.name} class="meta">${s.name}:
      nominal deadline ${clock(s.at)}</p>`,
      )}
    <details><summary>All ${trace.events.length} stored events${
      trace.correlationId === undefined ? '' : ` of ${trace.correlationId}`
    }</summary>
      <table class="events"><thead><tr><th scope="col">time</th><th scope="col">type</th><th scope="col">source</th>
        <th scope="col">subject</th></tr></thead>
      <tbody>${trace.events.map(
        (event) => html`<tr key=${event.id}>
        <td><time datetime=${event.time}>${clock(event.time)}</time></td>
        <td>${event.type.replace(/^cometflow\./, '')}</td>
        <td>${event.source.replace(/^cometflow\//, '')}</td>
        <td class="subject">${event.subject ?? ''}</td></tr>`,
      )}</tbody>
      </table>
    </details>
  </div>`;
}

/** POSTs JSON to the console's server; resolves to the answer, or throws its error. */
async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}

/**
 * `cometflow failures` with its filters, read when asked (it holds every DLQ message for a moment),
 * and a rerun of the selected ones: the dry run first, then the rerun after a confirmation.
 */
function FailureRecordsPanel() {
  const [filter, setFilter] = useState({ since: '6h', stage: '', code: '', what: '' });
  const [report, setReport] = useState<FailureRecords | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [plan, setPlan] = useState<Rerun | undefined>(undefined);
  const [done, setDone] = useState<Rerun | undefined>(undefined);
  const [asking, setAsking] = useState(false);
  const load = async (): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    try {
      const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v.trim() !== ''));
      const response = await fetch(`/api/failure-records?${query.toString()}`);
      const answer = (await response.json()) as FailureRecords & { error?: string; message?: string };
      if (!response.ok) throw new Error(answer.error ?? answer.message ?? `HTTP ${response.status}`);
      setReport(answer);
      setSelected(new Set());
      setPlan(undefined);
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const rerun = async (dryRun: boolean): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    try {
      const answer = await post<Rerun>('/api/rerun', {
        ids: [...selected],
        since: filter.since,
        dryRun,
        ...(dryRun ? {} : { confirm: 'rerun' }),
      });
      if (dryRun) {
        setPlan(answer);
        setDone(undefined);
      } else {
        setDone(answer);
        setPlan(undefined);
        void load();
      }
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const field = (name: keyof typeof filter, label: string, placeholder: string) =>
    html`<label>${label} <input name=${name} value=${filter[name]} placeholder=${placeholder}
      onInput=${(e: Event) => setFilter({ ...filter, [name]: (e.target as HTMLInputElement).value })} /></label>`;
  const toggle = (id: string): void => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
    setPlan(undefined);
  };
  const reruns = plan?.items.filter((i) => i.action === 'rerun').length ?? 0;
  return html`<section aria-labelledby="records-title" data-testid="failure-records">
    <h3 id="records-title">Messages the stages gave up on (<code>cometflow failures</code>)</h3>
    <form class="filters" onSubmit=${(e: Event) => {
      e.preventDefault();
      void load();
    }}>
      ${field('since', 'since', '6h, 2d or an ISO time')} ${field('stage', 'stage', 'process')}
      ${field('code', 'code', 'NoSuchKey')} ${field('what', 'concerning', 'key, cycle or message id')}
      <button type="submit" disabled=${busy}>Show failures</button>
    </form>
    ${problem !== undefined && html`<p class="banner critical" role="alert">${problem}</p>`}
    ${
      report !== undefined &&
      html`<table class="failures" data-testid="failure-list">
      <caption>${report.failures.length} failure(s) since ${clock(report.since)}${
        report.unexplained.length > 0 ? `; ${report.unexplained.length} DLQ message(s) without a record` : ''
      }, newest first</caption>
      <thead><tr><th scope="col">rerun</th><th scope="col">failed</th><th scope="col">stage</th>
        <th scope="col">code</th><th scope="col">concerning</th><th scope="col">reason</th>
        <th scope="col" class="num">receives</th><th scope="col">now</th></tr></thead>
      <tbody>${report.failures.map(
        (f) => html`<tr key=${f.messageId} data-message=${f.messageId}>
        <td>${
          f.deadLetterQueue === undefined
            ? ''
            : html`<input type="checkbox" checked=${selected.has(f.messageId)}
          onChange=${() => toggle(f.messageId)} aria-label=${`select ${f.subject ?? f.messageId} for a rerun`} />`
        }</td>
        <td>${clock(f.failedAt)}</td><td>${f.stage}</td><td>${f.code}</td>
        <td class="key">${
          f.subject === undefined ? f.messageId : html`<a href=${traceHref(f.subject)}>${f.subject}</a>`
        }</td>
        <td>${f.reason}</td><td class="num">${f.receiveCount}/${f.maxReceiveCount}</td>
        <td>${f.deadLetterQueue === undefined ? 'not in a DLQ' : `in ${f.deadLetterQueue}`}</td>
      </tr>`,
      )}</tbody></table>
    <p class="actions">
      <button disabled=${busy || selected.size === 0} onClick=${() => {
        void rerun(true);
      }}>Rerun ${selected.size} selected: dry run</button>
    </p>`
    }
    ${
      plan !== undefined &&
      html`<div class="plan" data-testid="rerun-plan" role="status">
      <p><strong>Dry run</strong>: nothing was moved.</p>
      <ul>${plan.lines.map((line, i) => html`<li key=${i} class="key">${line}</li>`)}</ul>
      <button class="danger" disabled=${busy || reruns === 0} onClick=${() => setAsking(true)}>Rerun ${reruns}</button>
    </div>`
    }
    ${
      asking &&
      html`<${Confirm}
      text=${`Move ${reruns} message(s) back to their queues? Each is processed again once (a rerun never makes a second product).`}
      action="Rerun" onConfirm=${() => {
        void rerun(false);
      }} onClose=${() => setAsking(false)} />`
    }
    ${
      done !== undefined &&
      html`<div data-testid="rerun-result" role="status"><ul>${done.lines.map(
        (line, i) => html`<li key=${i} class="key">${line}</li>`,
      )}</ul></div>`
    }
  </section>`;
}

function FailuresPage() {
  const live = useLive<Failures>('failures');
  const [stage, setStage] = useState('');
  const [code, setCode] = useState('');
  const [text, setText] = useState('');
  const data = isNoStack(live.data) ? undefined : live.data;
  const failures = (data?.failures ?? []).filter(
    (f) =>
      (stage === '' || f.stage === stage) &&
      (code === '' || f.code === code) &&
      (text === '' || `${f.subject} ${f.reason}`.toLowerCase().includes(text.toLowerCase())),
  );
  const options = (values: string[]): string[] => [...new Set(values)].sort();
  return html`<section aria-labelledby="failures-title">
    <h2 id="failures-title">Failures</h2>
    <${Problem} live=${live} />
    ${
      data !== undefined &&
      html`
      <table class="dlq" data-testid="dead-letters"><caption>Dead-letter queues</caption>
        <thead><tr><th scope="col">queue</th><th scope="col">source</th><th scope="col" class="num">messages</th>
          <th scope="col" class="num">in flight</th><th scope="col">redrive</th></tr></thead>
        <tbody>${data.deadLetters.map((row: DeadLetterRow) => {
          const held = row.depth.visible + row.depth.inFlight;
          return html`<tr key=${row.role} data-role=${row.role}><th scope="row">${row.role}</th>
            <td>${row.sourceRole}</td>
            <td class=${row.depth.visible > 0 ? 'num bad' : 'num'}
              data-testid=${`dlq-${row.role}`}>${row.depth.visible}</td>
            <td class="num">${row.depth.inFlight}</td>
            <td>${
              row.redrivable
                ? html`<${Redrive} role=${row.role} sourceRole=${row.sourceRole} held=${held}
              />`
                : 'no source queue'
            }</td></tr>`;
        })}</tbody></table>
      <${FailureRecordsPanel} />
      <h3>Failure events stored</h3>
      <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
        <label>stage <select value=${stage} onChange=${(e: Event) => setStage((e.target as HTMLSelectElement).value)}>
          <option value="">any</option>${options(data.failures.map((f) => f.stage)).map(
            (s) => html`<option key=${s}
            value=${s}>${s}</option>`,
          )}</select></label>
        <label>code <select value=${code} onChange=${(e: Event) => setCode((e.target as HTMLSelectElement).value)}>
          <option value="">any</option>${options(data.failures.map((f) => f.code)).map(
            (c) => html`<option key=${c}
            value=${c}>${c}</option>`,
          )}</select></label>
        <label>contains <input value=${text} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} />
          </label>
      </form>
      <table class="failures" data-testid="failures">
        <caption>${failures.length} of ${data.failures.length} failures stored since ${clock(data.window.from)},
          latest first</caption>
        <thead><tr><th scope="col">time</th><th scope="col">stage</th><th scope="col">code</th><th
          scope="col">file or subject</th><th scope="col">reason</th></tr></thead>
        <tbody>${failures.map(
          (f, i) => html`<tr key=${`${f.time}${i}`}><td>${clock(f.time)}</td><td>${f.stage}</td><td>${f.code}</td>
          <td class="key"><a href=${traceHref(f.subject)}>${f.subject}</a></td><td>${f.reason}</td></tr>`,
        )}</tbody></table>`
    }
  </section>`;
}

/** `cometflow reconcile` of a day, run when asked (it lists every bucket), its findings filtered by check and text. */
function ReconcilePage() {
  const [day, setDay] = useState(new Date().toISOString().slice(0, 10));
  const [grace, setGrace] = useState('');
  const [report, setReport] = useState<Reconciliation | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [check, setCheck] = useState('');
  const [text, setText] = useState('');
  const run = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const query = new URLSearchParams({ day, ...(grace.trim() === '' ? {} : { grace: grace.trim() }) });
      const response = await fetch(`/api/reconcile?${query.toString()}`);
      const answer = (await response.json()) as Reconciliation & { error?: string; message?: string };
      if (!response.ok) throw new Error(answer.error ?? answer.message ?? `HTTP ${response.status}`);
      setReport(answer);
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const findings = (report?.findings ?? []).filter(
    (f) =>
      (check === '' || f.check === check) &&
      (text === '' || `${f.key} ${f.where} ${f.detail}`.toLowerCase().includes(text.toLowerCase())),
  );
  const checks = [...new Set((report?.findings ?? []).map((f) => f.check))].sort();
  return html`<section aria-labelledby="reconcile-title">
    <h2 id="reconcile-title">Reconciliation</h2>
    <form class="filters" onSubmit=${(e: Event) => {
      void run(e);
    }}>
      <label>day <input type="date" name="day" value=${day} required
        onInput=${(e: Event) => setDay((e.target as HTMLInputElement).value)} /></label>
      <label>grace (s) <input name="grace" value=${grace} placeholder="900" inputmode="numeric"
        onInput=${(e: Event) => setGrace((e.target as HTMLInputElement).value)} /></label>
      <button type="submit" disabled=${busy}>${busy ? 'Reconciling…' : 'Reconcile'}</button>
    </form>
    ${problem !== undefined && html`<p class="banner critical" role="alert">${problem}</p>`}
    ${
      report !== undefined &&
      html`<div data-testid="reconcile">
      <p class=${report.consistent ? 'ok' : 'bad'} data-testid="reconcile-verdict">${
        report.consistent
          ? `${report.day}: consistent, nothing found`
          : `${report.day}: ${report.findings.length} inconsistenc${report.findings.length === 1 ? 'y' : 'ies'}`
      }</p>
      <table><caption>What the day holds (grace ${report.graceSeconds} s, read ${clock(report.generatedAt)})</caption>
        <tbody><tr>${Object.entries(report.counts).map(
          ([where, count]) => html`<th key=${where} scope="col">${where}</th><td class="num">${count}</td>`,
        )}</tr></tbody></table>
      <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
        <label>check <select value=${check} onChange=${(e: Event) => setCheck((e.target as HTMLSelectElement).value)}>
          <option value="">any</option>${checks.map((c) => html`<option key=${c} value=${c}>${c}</option>`)}
        </select></label>
        <label>contains <input value=${text} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} />
        </label>
      </form>
      <table class="failures" data-testid="findings">
        <caption>${findings.length} of ${report.findings.length} findings</caption>
        <thead><tr><th scope="col">check</th><th scope="col">key</th><th scope="col">where</th>
          <th scope="col">detail</th></tr></thead>
        <tbody>${findings.map(
          (f, i) => html`<tr key=${`${f.check}${f.key}${i}`} data-check=${f.check}>
          <td title=${report.checks[f.check] ?? ''}>${f.check}</td>
          <td class="key"><a href=${traceHref(f.key)}>${f.key}</a></td><td>${f.where}</td><td>${f.detail}</td></tr>`,
        )}</tbody></table>
    </div>`
    }
  </section>`;
}

const PAGES = [
  ['overview', 'Overview'],
  ['cycles', 'Cycles'],
  ['trace', 'Trace'],
  ['failures', 'Failures'],
  ['reconcile', 'Reconcile'],
] as const;

/** Light, dark, or what the system prefers; kept in localStorage. */
function ThemeSwitch() {
  const [theme, setTheme] = useState(localStorage.getItem('cometflow-theme') ?? 'system');
  // A layout effect: the chosen theme applies before the next paint (no flash of the other one).
  useLayoutEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem('cometflow-theme', theme);
  }, [theme]);
  const choose = (e: Event): void => setTheme((e.target as HTMLSelectElement).value);
  return html`<label class="theme">theme <select value=${theme} onChange=${choose}>
    <option value="system">system</option><option value="light">light</option><option value="dark">dark</option>
    </select></label>`;
}

function App() {
  const { page, params } = useRoute();
  return html`<header>
      <h1>cometflow console</h1>
      <nav aria-label="Views"><ul>${PAGES.map(
        ([id, label]) => html`<li key=${id}>
        <a href=${`#/${id}`} aria-current=${page === id ? 'page' : undefined}>${label}</a></li>`,
      )}</ul></nav>
      <${ThemeSwitch} />
    </header>
    <main>
      ${page === 'overview' && html`<${OverviewPage} />`}
      ${page === 'cycles' && html`<${CyclesPage} />`}
      ${page === 'trace' && html`<${TracePage} query=${params.get('q') ?? ''} />`}
      ${page === 'failures' && html`<${FailuresPage} />`}
      ${page === 'reconcile' && html`<${ReconcilePage} />`}
    </main>`;
}

const root = document.getElementById('app')!;
// Preact renders next to what is there: the placeholder goes first.
root.textContent = '';
render(html`<${App} />`, root);
