import { describe, expect, it } from 'vitest';
import { gatherCatalog, renderCatalog } from './catalog.js';
import { tempDir, writeRelease } from './release.test-data.js';
import { ReleaseStore } from './store.js';

const ndjson = (rows: Record<string, unknown>[]) => rows.map((row) => `${JSON.stringify(row)}\n`).join('');

async function catalogOf(files: Record<string, string>, publication?: string) {
  const out = await tempDir();
  await writeRelease(out, { id: 'r-2025aaaa', files });
  const store = new ReleaseStore(out);
  try {
    return await gatherCatalog(store, publication);
  } finally {
    store.close();
  }
}

describe('catalog page', () => {
  it('shows list values in the preview as the CSV does: joined with ";"', async () => {
    const data = await catalogOf({
      'paragraphs.ndjson': ndjson([
        {
          article_id: 'a~1',
          seq: 1,
          section: null,
          text: '本报讯 会议指出',
          char_count: 8,
          source_lines: ['39', '40'],
        },
      ]),
      'people.ndjson': ndjson([
        { article_id: 'a~1', name: '石朕', role: 'reporter', titles: ['记者', '主任'] },
      ]),
    });
    const html = renderCatalog(data);
    expect(html).toContain('<td>39;40</td>');
    expect(html).toContain('<td>记者;主任</td>');
    expect(html).not.toContain('[&quot;39&quot;');
    expect(html).not.toContain('&quot;记者&quot;');
  });

  it('takes its title from --publication, else from the first article that names a publication', async () => {
    const articles = ndjson([
      { article_id: 'a~1', source_id: 'p', seq: 1, publication: null, title: '标题一' },
      { article_id: 'a~2', source_id: 'p', seq: 2, publication: ' 海滨晚报 ', title: '标题二' },
    ]);
    expect((await catalogOf({ 'articles.ndjson': articles })).title).toBe('海滨晚报');
    expect((await catalogOf({ 'articles.ndjson': articles }, '大连日报')).title).toBe('大连日报');
    const unnamed = ndjson([{ article_id: 'a~1', source_id: 'p', seq: 1, publication: null, title: '标题' }]);
    expect((await catalogOf({ 'articles.ndjson': unnamed })).title).toBe('新闻开放数据');
  });
});
