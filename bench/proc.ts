/** Memory of a process as Linux reports it, for the benchmarks. */
import { readFileSync } from 'node:fs';

/** A field of `/proc/<pid>/status` in KiB: `VmRSS` (resident now) or `VmHWM` (resident at its peak). */
export function procStatusKiB(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]);
}
