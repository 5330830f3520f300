import fc from 'fast-check';
import { CeleryConfigError, CeleryMappingError, CeleryTaskMap } from '../../lib/celery';

describe('CeleryTaskMap', () => {
  const map = new CeleryTaskMap([
    { task: 'math.add', celeryTask: 'app.add', args: ['x', 'y'] },
    { task: 'email.send', celeryTask: 'app.send_email' },
    {
      task: 'report.build',
      celeryTask: 'app.build_report',
      toCelery: (payload) => ({ args: [payload], kwargs: {} }),
      fromCelery: (call) => call.args[0],
    },
  ]);

  it('passes the named parameters positionally and the rest as keyword arguments', () => {
    expect(map.toCelery('math.add', { x: 2, y: 3, carry: true })).toEqual({ celeryTask: 'app.add', args: [2, 3], kwargs: { carry: true } });
    expect(map.fromCelery('app.add', { args: [2, 3], kwargs: { carry: true } })).toEqual({ task: 'math.add', payload: { x: 2, y: 3, carry: true } });
  });

  it('stops positional arguments at the first absent name, as Python allows keywords for the rest', () => {
    expect(map.toCelery('math.add', { y: 3 })).toEqual({ celeryTask: 'app.add', args: [], kwargs: { y: 3 } });
    expect(map.fromCelery('app.add', { args: [2], kwargs: { y: 3 } }).payload).toEqual({ x: 2, y: 3 });
  });

  it('maps a payload object to keyword arguments by default', () => {
    expect(map.toCelery('email.send', { to: 'a@example.com' })).toEqual({ celeryTask: 'app.send_email', args: [], kwargs: { to: 'a@example.com' } });
  });

  it('uses the declared functions both ways', () => {
    expect(map.toCelery('report.build', 'q3')).toEqual({ celeryTask: 'app.build_report', args: ['q3'], kwargs: {} });
    expect(map.fromCelery('app.build_report', { args: ['q3'], kwargs: {} })).toEqual({ task: 'report.build', payload: 'q3' });
  });

  it('round-trips every object payload through a positional mapping', () => {
    const key = fc.constantFrom('x', 'y', 'z', 'carry', 'constructor', '__proto__');
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue(), { maxKeys: 6 }), (payload) => {
        const call = map.toCelery('math.add', payload);
        expect(map.fromCelery('app.add', call).payload).toEqual(payload);
      }),
    );
  });

  it.each([
    ['a payload that is not an object', () => map.toCelery('email.send', [1]), /payload of Bosun task "email.send" must be a JSON object .* \(given an array\)/],
    ['an unmapped Bosun task', () => map.toCelery('nope', {}), /Bosun task "nope" has no Celery mapping \(mapped: math.add, email.send, report.build\)/],
    ['an unmapped Celery task', () => map.fromCelery('app.nope', { args: [], kwargs: {} }), /Celery task "app.nope" has no Bosun mapping/],
    ['more positional arguments than named', () => map.fromCelery('app.add', { args: [1, 2, 3], kwargs: {} }), /called with 3 positional argument\(s\) but its mapping names 2 \(x, y\)/],
    ['positional arguments for a keyword-only mapping', () => map.fromCelery('app.send_email', { args: ['a'], kwargs: {} }), /called with 1 positional argument\(s\) but its mapping names 0;/],
    ['the same parameter twice', () => map.fromCelery('app.add', { args: [1], kwargs: { x: 1 } }), /got "x" both positionally and as a keyword argument/],
  ])('refuses %s', (_name, call, pattern) => {
    expect(call).toThrow(CeleryMappingError);
    expect(call).toThrow(pattern);
  });

  it.each([
    [[{ task: 'a', celeryTask: 'app.a' }, { task: 'a', celeryTask: 'app.b' }], /Bosun task "a" is mapped twice/],
    [[{ task: 'a', celeryTask: 'app.a' }, { task: 'b', celeryTask: 'app.a' }], /Celery task "app.a" is mapped twice/],
    [[{ task: 'a', celeryTask: 'app a' }], /celeryTask of Bosun task "a" must be a Celery task name .* \(given "app a"\)/],
    [[{ task: 'a', celeryTask: 'app.a', args: ['x', 'x'] }], /args of Celery task "app.a" name a parameter twice \(given x, x\)/],
    [[{ task: 'a', celeryTask: 'app.a', toCelery: () => ({ args: [], kwargs: {} }) }], /gives only one of toCelery and fromCelery/],
  ])('refuses the table %#', (mappings, pattern) => {
    expect(() => new CeleryTaskMap(mappings)).toThrow(CeleryConfigError);
    expect(() => new CeleryTaskMap(mappings)).toThrow(pattern);
  });
});
