import { createHash } from 'node:crypto';
import { runtimeError } from '@newsdata/errors';

/**
 * The id of a release, derived from its content: the first 16 hex digits of the SHA-256 of the
 * sorted `path:sha256` lines of its files. The same files give the same id, so republishing unchanged
 * sources finds the release already there. Pass every file whose bytes do not depend on the id or the
 * time: the data files, `datapackage.json` and `validation-report.json`, not `manifest.json` or
 * `changes.json`. Matches the manifest's `^[0-9a-z][0-9a-z-]{7,63}$`.
 *
 * @example releaseIdFor([{ path: 'articles.csv', sha256: 'e3b0c442…' }]) // '5d41402abc4b2a76'
 */
export function releaseIdFor(files: readonly { path: string; sha256: string }[]): string {
  if (files.length === 0) {
    throw runtimeError(
      'RELEASE_ID_NO_FILES',
      'A release id needs the hashes of the release files; none were given.',
    );
  }
  const lines = files.map((file) => {
    if (!/^[0-9a-f]{64}$/.test(file.sha256)) {
      throw runtimeError(
        'RELEASE_ID_HASH_INVALID',
        `The sha256 of ${file.path} must be 64 lowercase hex digits; got ${JSON.stringify(file.sha256)}.`,
      );
    }
    return `${file.path}:${file.sha256}\n`;
  });
  lines.sort();
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.split(':')[0] === lines[i - 1]!.split(':')[0]) {
      throw runtimeError(
        'RELEASE_ID_DUPLICATE_PATH',
        `The file ${lines[i]!.split(':')[0]} is listed twice; list each file once.`,
      );
    }
  }
  return createHash('sha256').update(lines.join('')).digest('hex').slice(0, 16);
}
