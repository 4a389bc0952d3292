import { createHash } from 'node:crypto';
import {
  type Article,
  compareByKey,
  type Document,
  type Paragraph,
  type Person,
  type SourceMeta,
  type Statistic,
  type Tables,
} from '@newsdata/contract';
import { runtimeError } from '@newsdata/errors';
import { type ParsedArticle, type ParsedPage, positionOf } from '@newsdata/parse';
import { resolveDate } from './dates.js';
import { countDocuments, titlesIn } from './documents.js';
import { extractPeople } from './people.js';
import { type StatisticOptions, statisticsIn } from './statistics.js';
import { codePoints, compressLines, quotedRanges } from './text.js';

/** What is known about the source beyond its text. */
export interface SourceInfo {
  /** File name without extension (`[A-Za-z0-9._-]+`). */
  source_id: string;
  /** The sidecar, or null when there is none. */
  meta: SourceMeta | null;
  /** Edition date (YYYY-MM-DD) from elsewhere, e.g. a file-name prefix; the sidecar's date wins. */
  date?: string | null;
}

/** Whitespace and width differences do not make a different headline. */
function normalizeTitle(title: string): string {
  return title.normalize('NFKC').replace(/\s+/g, '');
}

/**
 * The stable id of an article: `${source_id}~` and the first 12 hex digits of the SHA-256 of its
 * normalized headline. The n-th article (n ≥ 2) with the same headline on a page hashes
 * `headline#n`, so ids stay distinct and do not depend on the other articles.
 *
 * @example
 * articleId('dalian-2025-01-08', '市政协召开党组会议'); // 'dalian-2025-01-08~<12 hex>'
 */
export function articleId(sourceId: string, title: string, occurrence = 1): string {
  return idOf(sourceId, normalizeTitle(title), occurrence);
}

function idOf(sourceId: string, normalizedTitle: string, occurrence: number): string {
  const basis = occurrence > 1 ? `${normalizedTitle}#${occurrence}` : normalizedTitle;
  return `${sourceId}~${createHash('sha256').update(basis, 'utf8').digest('hex').slice(0, 12)}`;
}

function lineOf(paragraph: ParsedArticle['paragraphs'][number]): number[] {
  return paragraph.spans.map((s) => s.line);
}

/**
 * Every published row of one parsed page (DESIGN §5): articles, paragraphs, statistics, people and
 * documents, each table sorted by its key. Pure: the same page and source give the same rows.
 *
 * @example
 * const tables = toRecords(parsePage(bytes), { source_id: 'dalian-daily-sample-page', meta: { publication: '大连日报' } });
 * tables.statistics[0]; // { statistic_id: 'dalian-daily-sample-page~…-p2-n1', label: '提案', value: 508, unit: '件', … }
 */
export function toRecords(page: ParsedPage, source: SourceInfo, options: StatisticOptions = {}): Tables {
  if (!/^[A-Za-z0-9._-]+$/.test(source.source_id)) {
    throw runtimeError(
      'EXTRACT_BAD_SOURCE_ID',
      `Source id "${source.source_id}" is not usable in ids: use only letters, digits, '.', '_' and '-'.`,
    );
  }
  const meta = source.meta ?? {};
  const date = meta.date ?? source.date ?? null;
  const tables: Tables = { articles: [], paragraphs: [], statistics: [], people: [], documents: [] };
  const seenTitles = new Map<string, number>();
  const isBlank = (line: number) => (page.lines[line - 1] ?? '').trim() === '';
  for (const parsed of page.articles) {
    if (parsed.paragraphs.length === 0) continue;
    const norm = normalizeTitle(parsed.title);
    const occurrence = (seenTitles.get(norm) ?? 0) + 1;
    seenTitles.set(norm, occurrence);
    const id = idOf(source.source_id, norm, occurrence);
    const texts = parsed.paragraphs.map((p) => p.text);
    const charCounts = texts.map(codePoints);
    const lines = parsed.lines.length > 0 ? parsed.lines : parsed.paragraphs.flatMap(lineOf);
    const article: Article = {
      article_id: id,
      source_id: source.source_id,
      seq: parsed.seq,
      publication: meta.publication ?? null,
      date,
      page: meta.page ?? null,
      title: parsed.title,
      subtitle: parsed.subtitle || null,
      reporters: parsed.reporters,
      contributors: parsed.contributors,
      agency: parsed.agency || null,
      dateline: parsed.dateline || null,
      dateline_date: parsed.dateline ? (resolveDate(parsed.dateline, date)?.iso ?? null) : null,
      section_count: parsed.sections.length,
      paragraph_count: parsed.paragraphs.length,
      char_count: charCounts.reduce((n, c) => n + c, 0),
      lead: texts[0]!,
      text: texts.join('\n'),
      source_lines: compressLines(lines, isBlank) as Article['source_lines'],
    };
    tables.articles.push(article);
    // Quotes are found once per paragraph for both its statistics and its cited documents.
    const titles: string[][] = [];
    parsed.paragraphs.forEach((paragraph, p) => {
      const quotes = quotedRanges(paragraph.text);
      titles.push(titlesIn(paragraph.text, quotes));
      const row: Paragraph = {
        article_id: id,
        seq: paragraph.seq,
        section: paragraph.section || null,
        text: paragraph.text,
        char_count: charCounts[p]!,
        source_lines: compressLines(lineOf(paragraph), isBlank) as Paragraph['source_lines'],
      };
      tables.paragraphs.push(row);
      statisticsIn(paragraph.text, options, quotes).forEach((s, k) => {
        const at = positionOf(paragraph, s.index);
        const stat: Statistic = {
          statistic_id: `${id}-p${paragraph.seq}-n${k + 1}`,
          article_id: id,
          paragraph_seq: paragraph.seq,
          label: s.label,
          value: s.value,
          unit: s.unit,
          approximate: s.approximate,
          qualifier: s.qualifier,
          year: s.year !== null && s.year >= 1800 && s.year <= 2200 ? s.year : null,
          text: s.text,
          sentence: s.sentence,
          source_line: at.line,
          source_column: at.column,
        };
        tables.statistics.push(stat);
      });
    });
    for (const p of extractPeople(parsed)) {
      const person: Person = { article_id: id, name: p.name, role: p.role, titles: p.titles };
      if (person.name.length <= 12) tables.people.push(person);
    }
    for (const d of countDocuments(titles)) {
      const doc: Document = { article_id: id, title: d.title, mentions: d.mentions };
      tables.documents.push(doc);
    }
  }
  tables.articles.sort(compareByKey('articles'));
  tables.paragraphs.sort(compareByKey('paragraphs'));
  tables.statistics.sort(compareByKey('statistics'));
  tables.people.sort(compareByKey('people'));
  tables.documents.sort(compareByKey('documents'));
  return tables;
}
