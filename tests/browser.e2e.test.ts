import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  getJson,
  type Running,
  runCli,
  startCli,
  type Workspace,
  waitFor,
  workspace,
} from './helpers.js';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the catalog page in a real browser', () => {
  let ws: Workspace | undefined;
  let server: Running | undefined;
  let browser: BrowserContext | undefined;

  afterEach(async () => {
    await browser?.close();
    await server?.stop();
    await ws?.remove();
    browser = undefined;
    server = undefined;
    ws = undefined;
  });

  it('shows the datasets in Chinese and downloads the CSV byte for byte', async () => {
    expect(
      existsSync(executablePath),
      `chromium not found at ${executablePath}; install it (apt-get install chromium) or set CHROMIUM_PATH`,
    ).toBe(true);
    ws = await workspace();
    const published = await runCli(['publish', '--source', ws.sources, '--out', ws.out]);
    expect(published.code, published.stderr).toBe(0);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = startCli(['serve', '--out', ws.out, '--port', String(port), '--publication', '大连日报']);
    const health = await waitFor(
      async () => {
        const body = await getJson<{ current_release: string | null }>(`${base}/healthz`);
        return body.current_release ?? undefined;
      },
      { what: 'the server', context: () => server?.stderr ?? '' },
    );

    browser = await chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), 'newsdata-chromium-')), {
      executablePath,
      headless: true,
      acceptDownloads: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage();
    await page.goto(`${base}/`);

    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await expect(page.title()).resolves.toContain('大连日报');
    const rows = page.locator('#dataset-table tbody tr');
    expect(await rows.count()).toBe(5);
    const datasets = (await page.locator('#datasets').textContent()) ?? '';
    for (const word of [
      '数据集',
      '文章',
      '段落',
      '统计数据',
      '人物',
      '引用文件',
      '行数',
      '下载',
      'articles',
    ]) {
      expect(datasets).toContain(word);
    }
    expect(await page.locator('#current-release').textContent()).toBe(health);
    expect(await page.locator('#fields').textContent()).toContain('文章编号');

    const link = page.locator('tr[data-table="articles"] a', { hasText: /^CSV$/ });
    const href = await link.getAttribute('href');
    expect(href).toBe(`/releases/${health}/articles.csv`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`大连日报-articles-${health}.csv`);
    const downloaded = await readFile((await download.path())!);
    const onDisk = await readFile(join(ws.out, 'releases', health, 'articles.csv'));
    expect(downloaded.equals(onDisk)).toBe(true);
    expect(downloaded.length).toBeGreaterThan(100);
  });
});
