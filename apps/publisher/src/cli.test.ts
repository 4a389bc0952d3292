import { spawn } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './release.test-data.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const samples = fileURLToPath(new URL('../../../data/sources', import.meta.url));

/** Run the built CLI as a user would, from `cwd`. */
function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { ...process.env, INIT_CWD: cwd, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function sampleCopy(): Promise<string> {
  const dir = await tempDir();
  await cp(samples, join(dir, 'sources'), { recursive: true });
  return dir;
}

describe('cli exit codes', () => {
  it.each([
    [['validate', '--bogus'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command/],
    [['validate', '--lang', 'fr'], /Allowed choices are en, zh/],
    [['serve', '--port', 'eighty'], /port "eighty" \(flag\) is not valid/],
    [['schedule', '--cron', '61 * * * *'], /cron expression/],
    [['validate', '--source', 'no/such/dir'], /SOURCE_NOT_FOUND.*does not exist/],
    [['validate', '--config', 'missing.json'], /CONFIG_UNREADABLE/],
  ])('exits 3 with a message saying what to do: %j', async (args, message) => {
    const result = await run(args, await tempDir());
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(message);
  });

  it('exits 0 for --help and --version', async () => {
    const dir = await tempDir();
    expect((await run(['--help'], dir)).code).toBe(0);
    expect((await run(['--version'], dir)).code).toBe(0);
  });

  it('exits 3 for a config file that breaks its schema', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'newsdata.config.json'), '{"port": -1}');
    const result = await run(['validate'], dir);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/CONFIG_INVALID.*port/);
  });

  it('validates the clean sample with exit 0 and writes the report, resolving paths against the cwd', async () => {
    const dir = await sampleCopy();
    const result = await run(['validate', '--source', 'sources', '--report', 'out/report.json'], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/valid, 0 errors/);
    const report = JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.valid).toBe(true);
    expect(report.sources[0].source_id).toBe('dalian-daily-sample-page');
  });

  it('exits 2 for a source with undecodable bytes and says where', async () => {
    const dir = await sampleCopy();
    const page = join(dir, 'sources', 'dalian-daily-sample-page.txt');
    const bytes = await readFile(page);
    await writeFile(
      page,
      Buffer.concat([bytes.subarray(0, 120), Buffer.from([0xff, 0xff, 0x80]), bytes.subarray(120)]),
    );
    const result = await run(['validate', '--source', 'sources', '--lang', 'zh'], dir);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(page);
    expect(result.stdout).toMatch(/dalian-daily-sample-page\.txt:\d+:\d+|offset \d+|字节 ?\d+|偏移/);
  });

  it('publishes, then says "nothing changed" with exit 0, then blocks invalid data with exit 2', async () => {
    const dir = await sampleCopy();
    const first = await run(['publish', '--source', 'sources', '--out', 'public'], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/published release/);
    const current = await readFile(join(dir, 'public', 'current', 'manifest.json'), 'utf8');

    const again = await run(['publish', '--source', 'sources', '--out', 'public'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing changed/);

    await writeFile(
      join(dir, 'sources', 'dalian-daily-sample-page.txt'),
      Buffer.from([0x41, 0xff, 0xfe, 0x80, 0xff]),
    );
    const invalid = await run(['publish', '--source', 'sources', '--out', 'public'], dir);
    expect(invalid.code).toBe(2);
    expect(await readFile(join(dir, 'public', 'current', 'manifest.json'), 'utf8')).toBe(current);
  });

  // A first publish of several sources starts its worker threads before reading the sources: they
  // must end with the run whatever its outcome, or the process would never exit.
  it('exits after a first publish of several sources on worker threads, refused or published', async () => {
    const dir = await tempDir();
    const sources = join(dir, 'sources');
    const page = await readFile(join(samples, 'dalian-daily-sample-page.txt'));
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      await cp(join(samples, 'dalian-daily-sample-page.txt'), join(sources, `${name}.txt`));
    await writeFile(join(sources, 'c.txt'), Buffer.from([0x41, 0xff, 0xfe, 0x80, 0xff]));
    const refused = await run(['publish', '--source', 'sources', '--out', 'public'], dir);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stdout).toContain('c.txt');

    await writeFile(join(sources, 'c.txt'), page);
    const published = await run(['publish', '--source', 'sources', '--out', 'public'], dir);
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(/published release/);
    const manifest = JSON.parse(await readFile(join(dir, 'public', 'current', 'manifest.json'), 'utf8'));
    expect(manifest.sources.map((source: { source_id: string }) => source.source_id)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });
});
