import type {
  AppConfig,
  Article,
  Changes,
  Document,
  Manifest,
  Paragraph,
  Person,
  SchedulerState,
  SourceMeta,
  Statistic,
  ValidationReport,
} from './generated/types.js';
import type { SchemaName } from './schemas.js';

const articleId = 'sample-page~1a2b3c4d';
const sha = 'a'.repeat(64);

const article: Article = {
  article_id: articleId,
  source_id: 'sample-page',
  seq: 1,
  publication: '大连日报',
  date: '2025-01-08',
  page: 'A01',
  title: '市政协召开党组会议',
  subtitle: '官福清主持会议',
  reporters: ['石朕'],
  contributors: [],
  agency: '大连新闻传媒集团',
  dateline: '昨日',
  dateline_date: '2025-01-07',
  section_count: 0,
  paragraph_count: 1,
  char_count: 12,
  lead: '昨日,市政协召开党组会议。',
  text: '昨日,市政协召开党组会议。',
  source_lines: ['9', '13-15'],
};
const paragraph: Paragraph = {
  article_id: articleId,
  seq: 1,
  section: null,
  text: '昨日,市政协召开党组会议。',
  char_count: 12,
  source_lines: ['13'],
};
const statistic: Statistic = {
  statistic_id: `${articleId}-p1-n1`,
  article_id: articleId,
  paragraph_seq: 1,
  label: '提案',
  value: 508,
  unit: '件',
  approximate: false,
  qualifier: null,
  year: null,
  text: '提案508件',
  sentence: '全年共提出提案508件,立案433件,均已办复。',
  source_line: 65,
  source_column: 120,
};
const person: Person = {
  article_id: articleId,
  name: '官福清',
  role: 'mentioned',
  titles: ['市政协党组书记', '主席'],
};
const document: Document = { article_id: articleId, title: '市政协党组2025年度民主生活会方案', mentions: 1 };
const sourceMeta: SourceMeta = {
  publication: '大连日报',
  publisher: '大连新闻传媒集团',
  date: '2025-01-08',
  page: 'A01',
};
const manifest: Manifest = {
  release_id: '20250108-1a2b3c4d5e6f',
  previous_release_id: null,
  created: '2025-01-08T08:00:00.000Z',
  tool: { name: 'newsdata', version: '0.1.0' },
  sources: [{ source_id: 'sample-page', sha256: sha, bytes: 24886, encoding: 'utf-8' }],
  files: [{ path: 'excel/articles.csv', bytes: 100, sha256: sha, rows: 7 }],
};
const config: AppConfig = {
  sources: ['data/sources'],
  out: 'public',
  cron: '* * * * *',
  tz: 'Asia/Shanghai',
  port: 8080,
  keep: 30,
  on_invalid: 'block',
};
const report: ValidationReport = {
  valid: true,
  counts: { errors: 0, warnings: 1, by_type: { 'unresolved-cut': 1 } },
  tables: { articles: { rows: 7, errors: 0 } },
  sources: [{ source_id: 'sample-page', sha256: sha, bytes: 24886, encoding: 'utf-8' }],
  problems: [
    {
      type: 'unresolved-cut',
      severity: 'warning',
      table: 'paragraphs',
      key: `${articleId}|3`,
      field: 'text',
      message: 'The paragraph ends without closing punctuation and nothing completes it.',
      source: { file: 'data/sources/sample-page.txt', line: 99, column: 1 },
    },
  ],
};
const state: SchedulerState = {
  last_run: '2025-01-08T08:00:00.000Z',
  last_success: '2025-01-08T08:00:01.000Z',
  last_error: null,
  current_release: '20250108-1a2b3c4d5e6f',
  source_hashes: { 'sample-page': sha },
};
const changes: Changes = {
  release_id: '20250108-1a2b3c4d5e6f',
  previous_release_id: null,
  tables: { articles: { added: [articleId], removed: [], changed: [] } },
};

/** One valid example per schema, typed by the generated types: the type test and the schema test share it. */
export const validExamples: Record<SchemaName, unknown> = {
  article,
  paragraph,
  statistic,
  person,
  document,
  'source-meta': sourceMeta,
  manifest,
  config,
  'validation-report': report,
  state,
  changes,
};
