import { BatchPacker } from '../../lib/sdk/batch-packing';

describe('BatchPacker', () => {
  it('hands back a queue\'s call when the 11th entry would not fit it, and keeps queues apart', () => {
    const packer = new BatchPacker<{ id: number; bytes: number }>();
    const full: number[][] = [];
    for (let id = 0; id < 11; id += 1) {
      const call = packer.add('q1', { id, bytes: 100 });
      if (call !== undefined) full.push(call.map((e) => e.id));
      expect(packer.add('q2', { id: 100 + id, bytes: 1 })?.length ?? 10).toBe(10);
    }
    expect(full).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    expect(packer.drain().map(([url, entries]) => [url, entries.map((e) => e.id)])).toEqual([
      ['q1', [10]],
      ['q2', [110]],
    ]);
    expect(packer.drain()).toEqual([]);
  });

  it('closes a call by bytes: 1 MiB per call', () => {
    const packer = new BatchPacker<{ bytes: number }>();
    expect(packer.add('q', { bytes: 600 * 1024 })).toBeUndefined();
    expect(packer.add('q', { bytes: 424 * 1024 })).toBeUndefined();
    expect(packer.add('q', { bytes: 1 })).toEqual([{ bytes: 600 * 1024 }, { bytes: 424 * 1024 }]);
  });
});
