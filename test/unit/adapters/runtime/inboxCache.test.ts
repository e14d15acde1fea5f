import { describe, expect, test } from 'vitest';
import { compact, SingleFlightCache } from '../../../../adapters/runtime/inboxCache.js';
import type { DirectoryUser } from '../../../../core/audience.js';

describe('SingleFlightCache', () => {
  test('concurrent misses share one load; a fresh entry is not loaded again; a stale one is', async () => {
    let time = 1_000;
    const cache = new SingleFlightCache<string, number>(5_000, Infinity, () => time);
    let loads = 0;
    const load = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return ++loads;
    };
    expect(await Promise.all([cache.get('a', load), cache.get('a', load), cache.get('a', load)])).toEqual([1, 1, 1]);
    time += 4_999;
    expect(await cache.get('a', load)).toBe(1);
    time += 1;
    expect(await cache.get('a', load)).toBe(2);
    expect(loads).toBe(2);
  });

  test('a failed load is not kept: the next request tries again', async () => {
    const cache = new SingleFlightCache<string, string>(5_000, Infinity, () => 0);
    await expect(cache.get('a', () => Promise.reject(new Error('directory down')))).rejects.toThrow('directory down');
    expect(await cache.get('a', async () => 'back')).toBe('back');
  });

  test('past its bound it forgets the least recently used entry', async () => {
    const cache = new SingleFlightCache<string, string>(60_000, 2, () => 0);
    const loaded: string[] = [];
    const load = (key: string) => async () => (loaded.push(key), key);
    await cache.get('a', load('a'));
    await cache.get('b', load('b'));
    await cache.get('a', load('a')); // a is now more recent than b
    await cache.get('c', load('c')); // evicts b
    await cache.get('a', load('a'));
    await cache.get('b', load('b'));
    expect(loaded).toEqual(['a', 'b', 'c', 'b']);
  });

  test('forget drops the entry, and a load under way then is handed to its waiters but not kept', async () => {
    const cache = new SingleFlightCache<string, string>(60_000, Infinity, () => 0);
    await cache.get('a', async () => 'before');
    cache.forget('a');
    let release!: () => void;
    const slow = cache.get('a', () => new Promise<string>((resolve) => (release = () => resolve('read before the write'))));
    cache.forget('a'); // the write lands while that read is on its way
    const after = cache.get('a', async () => 'after the write');
    release();
    expect(await slow).toBe('read before the write');
    expect(await after).toBe('after the write');
    expect(await cache.get('a', async () => 'loaded again')).toBe('after the write');
  });

  test('expired entries are let go from the least recently used end, not kept until the bound', async () => {
    let time = 0;
    const cache = new SingleFlightCache<string, number>(5_000, Infinity, () => time);
    const size = () => (cache as unknown as { entries: Map<string, unknown> }).entries.size;
    for (let i = 0; i < 100; i++) await cache.get(`u${i}`, async () => i);
    expect(size()).toBe(100);
    time += 5_000;
    await cache.get('late', async () => -1);
    expect(size()).toBe(1);
  });
});

describe('compact', () => {
  test('keeps exactly the attributes audiences read, and one string for a value people share', () => {
    const fromGraph = (id: string) =>
      JSON.parse(
        JSON.stringify({
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName)/$entity',
          id,
          userPrincipalName: `${id}@contoso.test`,
          department: 'Security',
          city: null,
          accountEnabled: true,
        }),
      ) as DirectoryUser;
    const [a, b] = [compact(fromGraph('a')), compact(fromGraph('b'))];
    expect(a).toEqual({ id: 'a', userPrincipalName: 'a@contoso.test', department: 'Security', city: null, accountEnabled: true });
    expect(Object.keys(a)).not.toContain('@odata.context');
    expect(b.department).toBe('Security');
  });
});
