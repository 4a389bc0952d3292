/* This file is generated from schemas/*.schema.json by `pnpm --filter @newsdata/contract generate`. Do not edit. */

/**
 * One article rebuilt from a newspaper page: a row of the articles table (key: article_id).
 */
export interface Article {
  /**
   * Stable id: the source id and a hash of the headline; unchanged when other articles of the page change.
   */
  article_id: string;
  /**
   * The source file name without extension.
   */
  source_id: string;
  /**
   * Position of the article on its page, from 1, in reading order.
   */
  seq: number;
  /**
   * Name of the newspaper (from the source sidecar); empty when unknown.
   */
  publication: string | null;
  /**
   * Edition date (ISO 8601) from the sidecar or the file name; empty when unknown.
   */
  date: string | null;
  /**
   * Page label as printed (e.g. A01); empty when unknown.
   */
  page: string | null;
  /**
   * Headline, as printed.
   */
  title: string;
  /**
   * Subtitle without its leading dash; empty when none.
   */
  subtitle: string | null;
  /**
   * Reporters named in the byline.
   */
  reporters: string[];
  /**
   * Contributors (通讯员 and names before the agency) named in the byline.
   */
  contributors: string[];
  /**
   * News organisation named in the byline (e.g. 大连新闻传媒集团, 新华社); empty when none.
   */
  agency: string | null;
  /**
   * Time word of the lead as written (昨日, 近日, 1月8日); empty when none.
   */
  dateline: string | null;
  /**
   * The dateline resolved to an ISO date (YYYY, YYYY-MM or YYYY-MM-DD) against the edition date; empty when it cannot be resolved.
   */
  dateline_date: string | null;
  /**
   * Number of section headings inside the article.
   */
  section_count: number;
  /**
   * Number of paragraphs after layout repair.
   */
  paragraph_count: number;
  /**
   * Characters (Unicode code points) of all paragraphs.
   */
  char_count: number;
  /**
   * First paragraph, without the byline.
   */
  lead: string;
  /**
   * All paragraphs joined with a line feed.
   */
  text: string;
  /**
   * 1-based line ranges of the source file the article was rebuilt from (e.g. 9-17).
   *
   * @minItems 1
   */
  source_lines: [string, ...string[]];
}

/**
 * One paragraph of an article after layout repair: a row of the paragraphs table (key: article_id, seq).
 */
export interface Paragraph {
  /**
   * The article the paragraph belongs to.
   */
  article_id: string;
  /**
   * Position of the paragraph in its article, from 1.
   */
  seq: number;
  /**
   * Section heading the paragraph sits under; empty before the first heading.
   */
  section: string | null;
  /**
   * Paragraph text as printed, with pieces cut by column breaks joined.
   */
  text: string;
  /**
   * Characters (Unicode code points) of the text.
   */
  char_count: number;
  /**
   * 1-based line ranges of the source file the paragraph was rebuilt from.
   *
   * @minItems 1
   */
  source_lines: [string, ...string[]];
}

/**
 * A quantity an article reports: a row of the statistics table (key: statistic_id).
 */
export interface Statistic {
  /**
   * Stable id: the article id, the paragraph and the position of the number in it.
   */
  statistic_id: string;
  /**
   * The article that reports the quantity.
   */
  article_id: string;
  /**
   * The paragraph (seq in the paragraphs table) the quantity is in.
   */
  paragraph_seq: number;
  /**
   * What is counted (提案, 一审网上立案率, 专窗窗口); empty when the sentence does not say.
   */
  label: string | null;
  /**
   * The number in base units: 万 and 亿 are applied (3365万元 → 33650000); for an approximate quantity, the stated bound (40余 → 40).
   */
  value: number;
  /**
   * Measure word or sign (件, 次, 人次, 家, 元, %).
   */
  unit: string;
  /**
   * True when the text qualifies the number (余, 多, 近, 约, 超, 上百).
   */
  approximate: boolean;
  /**
   * The qualifying word as written (余, 上百); empty when exact.
   */
  qualifier: string | null;
  /**
   * The year the sentence ties the value to (由2023年的10家增加至2024年的91家); empty otherwise.
   */
  year: number | null;
  /**
   * The exact span of the source text the quantity was read from.
   */
  text: string;
  /**
   * The sentence the quantity is in.
   */
  sentence: string;
  /**
   * 1-based line of the source file where text starts.
   */
  source_line: number;
  /**
   * 1-based column (in Unicode code points) of the source line where text starts.
   */
  source_column: number;
}

/**
 * A person named in an article: a row of the people table (key: article_id, name, role).
 */
export interface Person {
  /**
   * The article that names the person.
   */
  article_id: string;
  /**
   * The person's name as printed.
   */
  name: string;
  /**
   * reporter and contributor come from the byline; mentioned is a person named in the text.
   */
  role: 'reporter' | 'contributor' | 'mentioned';
  /**
   * Titles printed with the name (市政协党组书记, 主席).
   */
  titles: string[];
}

/**
 * A document, law, plan or publication cited in 《》 by an article: a row of the documents table (key: article_id, title).
 */
export interface Document {
  /**
   * The article that cites the document.
   */
  article_id: string;
  /**
   * Title inside 《》, without the marks; nested quotes kept.
   */
  title: string;
  /**
   * How many times the article cites it.
   */
  mentions: number;
}

/**
 * Sidecar <source_id>.meta.json: what is known about a source page beyond its text.
 */
export interface SourceMeta {
  /**
   * Name of the newspaper (大连日报).
   */
  publication?: string;
  /**
   * Organisation that publishes it (大连新闻传媒集团).
   */
  publisher?: string;
  /**
   * Edition date, ISO 8601 (YYYY-MM-DD).
   */
  date?: string;
  /**
   * Page label as printed (A01).
   */
  page?: string;
  /**
   * Where the page can be read online.
   */
  url?: string;
  /**
   * License of the source text, as an SPDX id or a name.
   */
  license?: string;
  /**
   * Free text about the source.
   */
  description?: string;
}

/**
 * manifest.json of a release: what it was made from and every file it holds, with checksums.
 */
export interface Manifest {
  /**
   * Derived from the content of the data files: the same sources give the same id.
   */
  release_id: string;
  /**
   * The release that was current when this one was made; empty for the first.
   */
  previous_release_id: string | null;
  /**
   * When the release was made (the only time stamp of a release).
   */
  created: string;
  /**
   * Name and version of the tool that made the release.
   */
  tool: {
    /**
     * Package name of the tool.
     */
    name: string;
    /**
     * Version of the tool.
     */
    version: string;
  };
  /**
   * Every source the release was made from.
   *
   * Items: One source page.
   */
  sources: {
    /**
     * The source file name without extension.
     */
    source_id: string;
    /**
     * SHA-256 of the source bytes, hex.
     */
    sha256: string;
    /**
     * Size of the source in bytes.
     */
    bytes: number;
    /**
     * Encoding the source was decoded with.
     */
    encoding: 'utf-8' | 'utf-8-bom' | 'gb18030';
    /**
     * The URL the source was fetched from, for URL sources.
     */
    url?: string;
  }[];
  /**
   * Every file of the release except manifest.json itself.
   *
   * Items: One file of the release.
   */
  files: {
    /**
     * Path relative to the release directory, with / separators.
     */
    path: string;
    /**
     * Size in bytes.
     */
    bytes: number;
    /**
     * SHA-256 of the file, hex.
     */
    sha256: string;
    /**
     * Data rows for a table file; empty for other files.
     */
    rows: number | null;
  }[];
}

/**
 * Configuration of the publisher app (newsdata.config.json). Flags win over environment variables, which win over this file.
 */
export interface AppConfig {
  /**
   * Source files, directories of sources, or http(s) URLs.
   */
  sources?: string[];
  /**
   * The release store directory.
   */
  out?: string;
  /**
   * node-cron expression of the publishing schedule.
   */
  cron?: string;
  /**
   * IANA time zone of the schedule.
   */
  tz?: string;
  /**
   * TCP port of the download server.
   */
  port?: number;
  /**
   * Address the download server listens on.
   */
  host?: string;
  /**
   * How many releases to keep; current and the one before are never pruned.
   */
  keep?: number;
  /**
   * block: publish nothing when data is invalid; quarantine: publish the valid rows and set the rest aside.
   */
  on_invalid?: 'block' | 'quarantine';
  /**
   * Under quarantine, the share of rejected rows above which the publish fails.
   */
  max_quarantine_share?: number;
  /**
   * redis:// URL; when set, replicas coordinate through it.
   */
  redis?: string;
  /**
   * pino log level.
   */
  log_level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Title of the data set shown on the catalog page.
   */
  publication?: string;
}

/**
 * validation-report.json: the result of validating every record of a release, counts first.
 */
export interface ValidationReport {
  /**
   * False when any problem has severity error.
   */
  valid: boolean;
  /**
   * Problem counts.
   */
  counts: {
    /**
     * Problems of severity error.
     */
    errors: number;
    /**
     * Problems of severity warning.
     */
    warnings: number;
    /**
     * Problems per type.
     */
    by_type: {
      [k: string]: number | undefined;
    };
  };
  /**
   * Rows and errors per table.
   */
  tables: {
    [k: string]:
      | {
          /**
           * Rows checked.
           */
          rows: number;
          /**
           * Rows with an error.
           */
          errors: number;
        }
      | undefined;
  };
  /**
   * The sources that were validated.
   */
  sources: {
    /**
     * Source id.
     */
    source_id: string;
    /**
     * SHA-256 of the source bytes.
     */
    sha256: string;
    /**
     * Size of the source.
     */
    bytes: number;
    /**
     * Encoding used; empty when the source could not be decoded.
     */
    encoding: 'utf-8' | 'utf-8-bom' | 'gb18030' | null;
  }[];
  /**
   * Every problem found, errors first.
   */
  problems: {
    /**
     * Stable code of the rule that found it (schema, duplicate-key, dangling-reference, …).
     */
    type: string;
    /**
     * error blocks a publish; warning does not.
     */
    severity: 'error' | 'warning';
    /**
     * Table of the record, or empty for a source-level problem.
     */
    table: string | null;
    /**
     * Key of the record, or empty.
     */
    key: string | null;
    /**
     * Field at fault, or empty.
     */
    field: string | null;
    /**
     * What is wrong and what to do about it.
     */
    message: string;
    /**
     * Where in the source file the record came from.
     */
    source: {
      /**
       * Source path or URL.
       */
      file: string;
      /**
       * 1-based line, or empty.
       */
      line: number | null;
      /**
       * 1-based column, or empty.
       */
      column: number | null;
    } | null;
  }[];
}

/**
 * <out>/state.json: what the scheduler remembers across restarts.
 */
export interface SchedulerState {
  /**
   * When the last run started.
   */
  last_run: string | null;
  /**
   * When the last run ended without error.
   */
  last_success: string | null;
  /**
   * The last failure, kept until a run succeeds.
   */
  last_error: {
    /**
     * When it failed.
     */
    time: string;
    /**
     * Error code.
     */
    code: string;
    /**
     * What failed.
     */
    message: string;
  } | null;
  /**
   * Id of the current release.
   */
  current_release: string | null;
  /**
   * SHA-256 of each source of the current release, by source id.
   */
  source_hashes: {
    [k: string]: string | undefined;
  };
}

/**
 * changes.json of a release: per table, the keys added, removed and changed since the previous release.
 */
export interface Changes {
  /**
   * This release.
   */
  release_id: string;
  /**
   * The release compared against; empty for the first.
   */
  previous_release_id: string | null;
  /**
   * Changes per table.
   */
  tables: {
    [k: string]:
      | {
          /**
           * Keys of new rows.
           */
          added: string[];
          /**
           * Keys of rows no longer present.
           */
          removed: string[];
          /**
           * Keys of rows whose values changed.
           */
          changed: string[];
        }
      | undefined;
  };
}
