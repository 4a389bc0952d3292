import { columnsOf, schemaOf, type TableName, tableNames, tables } from '@newsdata/contract';
import { cellOf } from '@newsdata/export';
import type { Changes, Manifest, ReleaseStore, ValidationReport } from './store.js';

/** What the catalog page and the feed show, gathered from the release store. */
export interface CatalogData {
  title: string;
  current: Manifest | null;
  report: ValidationReport | null;
  /** Newest first. */
  releases: { manifest: Manifest; changes: Changes | null }[];
  previews: Partial<Record<TableName, Record<string, unknown>[]>>;
}

const PREVIEW_ROWS = 5;
const RECENT_RELEASES = 10;

/** Escape text for HTML and XML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * The data set's title: the configured one, else the first `publication` named by the previewed
 * articles, else generic. (The sources' sidecar `publisher` would come next, but a release does not
 * carry it: neither manifest.json nor datapackage.json lists it.)
 */
function titleOf(configured: string | undefined, articles: Record<string, unknown>[] | undefined): string {
  if (configured?.trim()) return configured.trim();
  for (const article of articles ?? []) {
    const fromData = article['publication'];
    if (typeof fromData === 'string' && fromData.trim()) return fromData.trim();
  }
  return '新闻开放数据';
}

/** Read what the page needs; everything but `current` comes from immutable releases and is cached. */
export async function gatherCatalog(
  store: ReleaseStore,
  publication: string | undefined,
): Promise<CatalogData> {
  const currentId = await store.currentId();
  const current = currentId ? await store.manifest(currentId) : null;
  const ids = (await store.releaseIds()).slice(0, RECENT_RELEASES);
  const releases: CatalogData['releases'] = [];
  for (const id of ids) {
    const manifest = await store.manifest(id);
    if (manifest) releases.push({ manifest, changes: await store.json<Changes>(id, 'changes.json') });
  }
  const previews: CatalogData['previews'] = {};
  let report: ValidationReport | null = null;
  if (currentId && current) {
    report = await store.json<ValidationReport>(currentId, 'validation-report.json');
    for (const table of tableNames)
      previews[table] = await store.head(currentId, `${table}.ndjson`, PREVIEW_ROWS);
  }
  return { title: titleOf(publication, previews.articles), current, report, releases, previews };
}

/** "+2 −0 ~1" for one table's changes. */
function changeCounts(change: { added: string[]; removed: string[]; changed: string[] } | undefined): string {
  if (!change) return '';
  return `+${change.added.length} −${change.removed.length} ~${change.changed.length}`;
}

function changed(change: { added: string[]; removed: string[]; changed: string[] } | undefined): boolean {
  return !!change && change.added.length + change.removed.length + change.changed.length > 0;
}

/** One line per changed table, e.g. "文章 articles +1 −0 ~2"; "无变化" when nothing changed. */
export function summarizeChanges(changes: Changes | null): string {
  if (!changes) return '无变更记录 (no change log)';
  if (changes.previous_release_id === null) return '首次发布 (first release)';
  const parts = tableNames
    .filter((table) => changed(changes.tables[table]))
    .map((table) => {
      const change = changes.tables[table]!;
      const keys = [
        ...change.added.map((key) => `+${key}`),
        ...change.removed.map((key) => `−${key}`),
        ...change.changed.map((key) => `~${key}`),
      ];
      const shown = keys.slice(0, 3).join(', ') + (keys.length > 3 ? ', …' : '');
      return `${schemaOf(tables[table].schema).title ?? table} ${table} ${changeCounts(change)} (${shown})`;
    });
  return parts.length ? parts.join('; ') : '无变化 (no changes)';
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A preview cell as the CSV shows it (lists joined with `;`, null empty), cut at 40 characters.
 *
 * @example preview(['石朕', '谢锦宜']) // '石朕;谢锦宜'
 */
function preview(value: unknown): string {
  // Rows of a published release hold only scalars and lists; anything else is shown as JSON.
  const text =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? JSON.stringify(value)
      : cellOf(value, 'standard');
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** When each table last changed: the newest release whose change log touches it. */
function lastChanges(data: CatalogData): Partial<Record<TableName, Manifest>> {
  const result: Partial<Record<TableName, Manifest>> = {};
  for (const table of tableNames) {
    const hit = data.releases.find(
      (r) => !r.changes || r.changes.previous_release_id === null || changed(r.changes.tables[table]),
    );
    if (hit) result[table] = hit.manifest;
  }
  return result;
}

const style = `body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1a1a1a;line-height:1.6}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.en{color:#666;font-size:.85em}.num{text-align:right}code{font-size:.9em}details{margin:.5rem 0}
.ok{color:#0a7a28}.bad{color:#b00020}`;

/**
 * The catalog page: server-rendered HTML in Chinese with English secondary, no script, every value
 * escaped.
 */
export function renderCatalog(data: CatalogData): string {
  const { current } = data;
  const head = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)} · 数据目录</title>
<link rel="alternate" type="application/atom+xml" title="发布动态 (Atom)" href="/feed.xml">
<style>${style}</style>
</head>
<body>
<header>
<h1>${escapeHtml(data.title)} <span class="en">open data catalog</span></h1>`;
  if (!current) {
    return `${head}
<p id="no-release">尚无发布。<span class="en">No release has been published yet.</span></p>
</header>
</body>
</html>
`;
  }
  const id = current.release_id;
  const base = `/releases/${encodeURIComponent(id)}`;
  const files = new Map(current.files.map((file) => [file.path, file]));
  const last = lastChanges(data);
  const link = (path: string, label: string) =>
    files.has(path) || path === 'manifest.json'
      ? `<a href="${escapeHtml(`${base}/${path}`)}" download>${escapeHtml(label)}</a>`
      : '';

  const datasetRows = tableNames
    .map((table) => {
      const csv = files.get(`${table}.csv`);
      const schema = schemaOf(tables[table].schema);
      const changedIn = last[table];
      return `<tr data-table="${escapeHtml(table)}">
<td>${escapeHtml(schema.title ?? table)} <span class="en">${escapeHtml(table)}</span></td>
<td class="num">${escapeHtml(csv?.rows ?? '')}</td>
<td class="num">${csv ? escapeHtml(formatBytes(csv.bytes)) : ''}</td>
<td>${changedIn ? `${escapeHtml(`${changedIn.created.slice(0, 16).replace('T', ' ')} UTC`)} <span class="en">${escapeHtml(changedIn.release_id)}</span>` : ''}</td>
<td>${[
        link(`${table}.csv`, 'CSV'),
        link(`excel/${table}.csv`, 'CSV (Excel)'),
        link(`${table}.ndjson`, 'NDJSON'),
      ]
        .filter(Boolean)
        .join(' · ')}</td>
</tr>`;
    })
    .join('\n');

  const fieldSections = tableNames
    .map((table) => {
      const schema = schemaOf(tables[table].schema);
      const columns = columnsOf(table);
      const fields = columns
        .map((column) => {
          const property = schema.properties?.[column];
          return `<tr><td><code>${escapeHtml(column)}</code></td><td>${escapeHtml(property?.title ?? '')}</td><td class="en">${escapeHtml(property?.description ?? '')}</td></tr>`;
        })
        .join('\n');
      const rows = data.previews[table] ?? [];
      const shown = columns.slice(0, 8);
      const previewTable = rows.length
        ? `<table class="preview"><thead><tr>${shown.map((c) => `<th>${escapeHtml(schema.properties?.[c]?.title ?? c)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((row) => `<tr>${shown.map((c) => `<td>${escapeHtml(preview(row[c]))}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`
        : '<p>无数据行。<span class="en">No rows.</span></p>';
      return `<section id="table-${escapeHtml(table)}">
<h3>${escapeHtml(schema.title ?? table)} <span class="en">${escapeHtml(table)}</span></h3>
<details><summary>字段 <span class="en">fields</span> (${columns.length})</summary>
<table><thead><tr><th>字段名 <span class="en">column</span></th><th>中文名称</th><th class="en">description</th></tr></thead>
<tbody>${fields}</tbody></table></details>
<h4>前 ${rows.length} 行预览 <span class="en">preview of the first rows</span></h4>
${previewTable}
</section>`;
    })
    .join('\n');

  const releaseRows = data.releases
    .map(
      ({ manifest, changes }) => `<tr${manifest.release_id === id ? ' class="current"' : ''}>
<td><a href="/releases/${escapeHtml(encodeURIComponent(manifest.release_id))}/manifest.json">${escapeHtml(manifest.release_id)}</a>${manifest.release_id === id ? ' (当前)' : ''}</td>
<td>${escapeHtml(manifest.created)}</td>
<td>${escapeHtml(summarizeChanges(changes))}</td>
</tr>`,
    )
    .join('\n');

  const report = data.report;
  const validation = report
    ? `<p class="${report.valid ? 'ok' : 'bad'}">${report.valid ? '校验通过' : '校验未通过'} <span class="en">${report.valid ? 'valid' : 'invalid'}</span>:
错误 ${escapeHtml(report.counts.errors)} <span class="en">errors</span>,警告 ${escapeHtml(report.counts.warnings)} <span class="en">warnings</span></p>
${
  Object.keys(report.counts.by_type).length
    ? `<table><thead><tr><th>问题类型 <span class="en">type</span></th><th>数量 <span class="en">count</span></th></tr></thead><tbody>${Object.entries(
        report.counts.by_type,
      )
        .map(
          ([type, count]) =>
            `<tr><td><code>${escapeHtml(type)}</code></td><td class="num">${escapeHtml(count)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : ''
}
<table><thead><tr><th>来源 <span class="en">source</span></th><th>编码 <span class="en">encoding</span></th><th>字节 <span class="en">bytes</span></th><th>SHA-256</th></tr></thead><tbody>${report.sources
        .map(
          (s) =>
            `<tr><td>${escapeHtml(s.source_id)}</td><td>${escapeHtml(s.encoding ?? '')}</td><td class="num">${escapeHtml(s.bytes)}</td><td><code>${escapeHtml(s.sha256.slice(0, 16))}…</code></td></tr>`,
        )
        .join('')}</tbody></table>
<p>${link('validation-report.json', '完整校验报告 validation-report.json')}</p>`
    : '<p>无校验报告。<span class="en">No validation report.</span></p>';

  return `${head}
<p>当前发布 <span class="en">current release</span>: <strong id="current-release">${escapeHtml(id)}</strong>,
生成于 <span class="en">created</span> ${escapeHtml(current.created)},工具 <span class="en">tool</span> ${escapeHtml(current.tool.name)} ${escapeHtml(current.tool.version)}</p>
<p>稳定地址 <span class="en">stable address of the latest files</span>: <code>/current/&lt;文件&gt;</code> ·
${link('articles.json', '完整 JSON (articles.json)')} · ${link('datapackage.json', 'datapackage.json')} · ${link('manifest.json', 'manifest.json')} · ${link('changes.json', 'changes.json')} · <a href="/feed.xml">Atom 订阅 feed.xml</a></p>
</header>
<main>
<section id="datasets">
<h2>数据集 <span class="en">datasets</span></h2>
<table id="dataset-table"><thead><tr><th>数据表 <span class="en">table</span></th><th>行数 <span class="en">rows</span></th><th>大小 <span class="en">size</span></th><th>最近变更 <span class="en">last change</span></th><th>下载 <span class="en">download</span></th></tr></thead>
<tbody>
${datasetRows}
</tbody></table>
<p class="en">CSV: UTF-8 without BOM, CRLF (RFC 4180). CSV (Excel): UTF-8 with BOM, formulas escaped.</p>
</section>
<section id="fields">
<h2>字段说明与预览 <span class="en">fields and preview</span></h2>
${fieldSections}
</section>
<section id="releases">
<h2>最近发布 <span class="en">recent releases</span></h2>
<table><thead><tr><th>发布编号 <span class="en">release</span></th><th>时间 <span class="en">created</span></th><th>变更 <span class="en">changes</span></th></tr></thead>
<tbody>
${releaseRows}
</tbody></table>
</section>
<section id="validation">
<h2>校验摘要 <span class="en">validation summary</span></h2>
${validation}
</section>
</main>
</body>
</html>
`;
}

/** The Atom feed: one entry per release, newest first, with the changes as summary. */
export function renderFeed(data: CatalogData): string {
  const updated = data.releases[0]?.manifest.created ?? new Date(0).toISOString();
  const entries = data.releases
    .map(({ manifest, changes }) => {
      const id = manifest.release_id;
      return `  <entry>
    <id>urn:newsdata:release:${escapeHtml(id)}</id>
    <title>${escapeHtml(`${data.title} 发布 ${id}`)}</title>
    <updated>${escapeHtml(manifest.created)}</updated>
    <link rel="alternate" type="application/json" href="/releases/${escapeHtml(encodeURIComponent(id))}/manifest.json"/>
    <summary>${escapeHtml(summarizeChanges(changes))}</summary>
  </entry>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">
  <id>urn:newsdata:feed</id>
  <title>${escapeHtml(data.title)} · 发布动态</title>
  <updated>${escapeHtml(updated)}</updated>
  <author><name>${escapeHtml(data.title)}</name></author>
  <link rel="self" href="/feed.xml"/>
  <link rel="alternate" type="text/html" href="/"/>
${entries}
</feed>
`;
}
