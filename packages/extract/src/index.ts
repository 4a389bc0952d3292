export { type DateMention, findDates, type ResolvedDate, resolveDate } from './dates.js';
export { type DocumentMention, extractDocuments, findDocumentTitles } from './documents.js';
export { parseChineseNumber } from './numbers.js';
export { extractPeople, findMentionedPeople, type PersonMention } from './people.js';
export { articleId, type SourceInfo, toRecords } from './records.js';
export { extractStatistics, type StatisticMatch, type StatisticOptions } from './statistics.js';
export { compressLines } from './text.js';
