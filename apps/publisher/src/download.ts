import { extname } from 'node:path';

const contentTypes: Record<string, string> = {
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ndjson': 'application/x-ndjson; charset=utf-8',
};

/** Content-Type of a release file by its extension. */
export function contentTypeOf(path: string): string {
  return contentTypes[extname(path)] ?? 'application/octet-stream';
}

/** RFC 8187 percent-encoding: everything but attr-char. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The download name of a release file: `<publication>-<table>[-excel]-<release>.<ext>`.
 *
 * @example downloadName('大连日报', 'excel/articles.csv', 'r-1a2b3c4d') // '大连日报-articles-excel-r-1a2b3c4d.csv'
 */
export function downloadName(publication: string | undefined, path: string, releaseId: string): string {
  const extension = extname(path);
  const parts = path.slice(0, path.length - extension.length).split('/');
  const stem = parts.reverse().join('-');
  const prefix = (publication ?? '').trim() || 'newsdata';
  return `${prefix}-${stem}-${releaseId}${extension}`;
}

/**
 * `Content-Disposition: attachment` with a plain ASCII `filename` (non-ASCII, quotes, backslashes and
 * control characters removed, so no header can be injected) and the full name in `filename*`.
 *
 * @example contentDisposition('大连日报-articles-r-1.csv')
 * // attachment; filename="articles-r-1.csv"; filename*=UTF-8''%E5%A4%A7%E8%BF%9E%E6%97%A5%E6%8A%A5-articles-r-1.csv
 */
export function contentDisposition(name: string): string {
  const ascii =
    name
      .replace(/[^\x20-\x7e]+/g, '')
      .replace(/["\\;]/g, '')
      .replace(/^[-\s.]+/, '')
      .trim() || 'download';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(name)}`;
}

/**
 * Split the path part of a request URL into decoded segments, or null when any segment is unsafe:
 * empty, `.` or `..` (also percent-encoded), or holding a slash, backslash, NUL or other control
 * character once decoded. Such requests get a 404 without touching the disk.
 */
export function safeSegments(rawPath: string): string[] | null {
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    let segment = raw;
    if (raw.includes('%')) {
      try {
        segment = decodeURIComponent(raw);
      } catch {
        return null;
      }
    }
    if (segment === '' || segment === '.' || segment === '..') return null;
    if (/[/\\\x00-\x1f\x7f]/.test(segment) || segment.includes(':')) return null;
    segments.push(segment);
  }
  return segments;
}

/** Whether an `If-None-Match` header matches an entity tag (weak comparison, as RFC 9110 asks). */
export function noneMatch(header: string | undefined, sha256: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${sha256}"`);
}

/** Whether the client accepts gzip (`Accept-Encoding: gzip`, not with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding?.trim() !== 'gzip' && coding?.trim() !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
