import { formatAge, formatBytes, isoToLocalInput, localInputToIso, parseContext } from '../../console/web/app/format';
import { dlqHash, parseHash, taskHash } from '../../console/web/app/router';

describe('the console web app', () => {
  describe('parseHash', () => {
    it('reads each page and its parameters from the hash, the overview when it is empty', () => {
      expect(parseHash('')).toEqual({ page: 'overview' });
      expect(parseHash('#/overview')).toEqual({ page: 'overview' });
      expect(parseHash('#/tasks/01JD7X3Q4J8ZP7N3R5W6Y9K2A1')).toEqual({ page: 'tasks', taskId: '01JD7X3Q4J8ZP7N3R5W6Y9K2A1' });
      expect(parseHash('#/tasks')).toEqual({ page: 'tasks' });
      expect(parseHash('#/flags')).toEqual({ page: 'flags' });
      expect(parseHash('#/nowhere')).toEqual({ page: 'not-found', hash: '#/nowhere' });
    });

    it('round-trips a DLQ filter and a task id through the hash, odd characters included', () => {
      const route = parseHash(dlqHash('bulk queue', { task: 'billing.charge/eu', reason: 'attempts-exhausted', since: undefined, until: '' }));

      expect(route.page).toBe('dlq');
      expect(route.page === 'dlq' && route.queue).toBe('bulk queue');
      expect(route.page === 'dlq' && Object.fromEntries(route.query)).toEqual({ task: 'billing.charge/eu', reason: 'attempts-exhausted' });
      expect(parseHash(taskHash('a/b#c'))).toEqual({ page: 'tasks', taskId: 'a/b#c' });
    });
  });

  describe('parseContext', () => {
    it('reads key=value lines, trimming spaces and skipping blank lines; a value may contain =', () => {
      expect(parseContext(' tenant = acme \n\nplan=pro=x\n')).toEqual({ context: { tenant: 'acme', plan: 'pro=x' } });
    });

    it('says which line is not key=value and what it was', () => {
      expect(parseContext('tenant=acme\njust-a-word')).toEqual({ error: 'Context line 2 must be key=value (given "just-a-word").' });
      expect(parseContext('=value')).toEqual({ error: 'Context line 1 must be key=value (given "=value").' });
    });
  });

  describe('formatting', () => {
    it('shows ages and sizes in the unit a person reads', () => {
      expect([formatAge(undefined), formatAge(42), formatAge(600), formatAge(3 * 3600 + 300), formatAge(2 * 86_400 + 4 * 3600)]).toEqual([
        '–',
        '42 s',
        '10 min',
        '3 h 5 min',
        '2 d 4 h',
      ]);
      expect([formatBytes(512), formatBytes(3277), formatBytes(300 * 1024 * 1024)]).toEqual(['512 B', '3.2 KiB', '300.0 MiB']);
    });

    it('reads datetime-local values as UTC, the zone the filter and every Bosun time use', () => {
      expect(localInputToIso('2026-11-29T10:15')).toBe('2026-11-29T10:15:00.000Z');
      expect(localInputToIso('')).toBeUndefined();
      expect(localInputToIso('not a time')).toBeUndefined();
      expect(isoToLocalInput('2026-11-29T10:15:42.000Z')).toBe('2026-11-29T10:15');
    });
  });
});
