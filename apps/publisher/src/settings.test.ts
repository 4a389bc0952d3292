import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnvironment } from './env.js';
import { tempDir } from './release.test-data.js';
import { resolveSettings } from './settings.js';

describe('settings', () => {
  it('take flags over the environment over the config file over the defaults', async () => {
    const base = await tempDir();
    await writeFile(
      join(base, 'newsdata.config.json'),
      JSON.stringify({
        out: 'from-file',
        port: 9001,
        host: '0.0.0.0',
        cron: '*/5 * * * *',
        publication: '大连日报',
      }),
    );
    const env = readEnvironment({ INIT_CWD: base, PORT: '9002', NEWSDATA_OUT: 'from-env' }, '/elsewhere');
    const settings = resolveSettings({ port: '9003' }, env);
    expect(settings.port).toBe(9003);
    expect(settings.out).toBe(join(base, 'from-env'));
    expect(settings.host).toBe('0.0.0.0');
    expect(settings.cron).toBe('*/5 * * * *');
    expect(settings.publication).toBe('大连日报');
    expect(settings.tz).toBe('Asia/Shanghai');
    expect(settings.sources).toEqual([join(base, 'data/sources')]);
    // Issue 6: the last 30 releases are kept unless told otherwise.
    expect(settings.keep).toBe(30);
  });

  it('resolve config-file paths against the file and keep URLs', async () => {
    const base = await tempDir();
    await mkdir(join(base, 'conf'));
    await writeFile(
      join(base, 'conf', 'site.json'),
      JSON.stringify({ sources: ['pages', 'https://example.org/a.txt'], out: '/srv/out' }),
    );
    const settings = resolveSettings({ config: 'conf/site.json' }, readEnvironment({ INIT_CWD: base }));
    expect(settings.sources).toEqual([join(base, 'conf', 'pages'), 'https://example.org/a.txt']);
    expect(settings.out).toBe('/srv/out');
  });

  it('reject a config file that breaks its schema, naming the entry', async () => {
    const base = await tempDir();
    await writeFile(join(base, 'newsdata.config.json'), JSON.stringify({ port: 'eighty', colour: 'red' }));
    expect(() => resolveSettings({}, readEnvironment({ INIT_CWD: base }))).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', fault: 'runtime' }),
    );
  });

  it.each([
    [{ port: '80a' }, /port "80a" \(flag\)/],
    [{ cron: 'every minute' }, /cron expression/],
    [{ tz: 'Mars/Olympus' }, /time zone/],
    [{ keep: '1' }, /keep/],
    [{ onInvalid: 'ignore' }, /block or quarantine/],
    [{ redis: 'http://x' }, /Redis URL/],
    [{ lease: '500' }, /lease \(ms\) "500" \(flag\).*1000 to 3600000/],
  ])('reject bad values with a message that says what is expected: %o', async (flags, message) => {
    const env = readEnvironment({ INIT_CWD: await tempDir() });
    expect(() => resolveSettings(flags, env)).toThrow(message);
  });

  it('take the replica lease from --lease or NEWSDATA_LEASE_MS, 30 s by default', async () => {
    const base = await tempDir();
    expect(resolveSettings({}, readEnvironment({ INIT_CWD: base })).leaseMs).toBe(30_000);
    const env = readEnvironment({ INIT_CWD: base, NEWSDATA_LEASE_MS: '5000' });
    expect(resolveSettings({}, env).leaseMs).toBe(5000);
    expect(resolveSettings({ lease: '8000' }, env).leaseMs).toBe(8000);
  });

  it('name the environment as the origin of a bad value', async () => {
    const env = readEnvironment({ INIT_CWD: await tempDir(), PORT: '70000' });
    expect(() => resolveSettings({}, env)).toThrow(/\(environment\)/);
  });
});
