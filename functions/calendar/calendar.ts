/** The deployed delivery calendar, `rules/expected-deliveries.json`, bundled with the check and validated when loaded. */
import calendarFile from '../../rules/expected-deliveries.json' with { type: 'json' };
import { parseCalendar, type Calendar } from './logic.ts';

/** The calendar the check holds the providers to. */
export const loadCalendar = (): Calendar => parseCalendar(calendarFile, 'rules/expected-deliveries.json');
