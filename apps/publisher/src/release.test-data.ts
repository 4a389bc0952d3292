import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Changes, Manifest, ValidationReport } from '@newsdata/contract';

/** A hand-made release for HTTP tests: real files with a correct manifest, no pipeline involved. */
export interface FakeRelease {
  id: string;
  previous?: string | null;
  created?: string;
  files: Record<string, string | Buffer>;
  changes?: Changes;
  report?: ValidationReport;
  /** Files present on disk but not listed in the manifest. */
  unlisted?: Record<string, string>;
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export function emptyReport(): ValidationReport {
  return {
    valid: true,
    counts: { errors: 0, warnings: 0, by_type: {} },
    tables: {},
    sources: [{ source_id: 'page-a', sha256: sha('page'), bytes: 4, encoding: 'utf-8' }],
    problems: [],
  };
}

/** Write a release into `<out>/releases/<id>/`; `makeCurrent` points `<out>/current` at it. */
export async function writeRelease(out: string, release: FakeRelease, makeCurrent = true): Promise<Manifest> {
  const dir = join(out, 'releases', release.id);
  const files: Record<string, string | Buffer> = {
    ...release.files,
    'validation-report.json': JSON.stringify(release.report ?? emptyReport()),
    'changes.json': JSON.stringify(
      release.changes ?? {
        release_id: release.id,
        previous_release_id: release.previous ?? null,
        tables: {},
      },
    ),
  };
  for (const [path, data] of Object.entries({ ...files, ...release.unlisted })) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
  }
  const manifest: Manifest = {
    release_id: release.id,
    previous_release_id: release.previous ?? null,
    created: release.created ?? '2025-01-08T02:00:00.000Z',
    tool: { name: 'newsdata', version: '0.1.0' },
    sources: [{ source_id: 'page-a', sha256: sha('page'), bytes: 4, encoding: 'utf-8' }],
    files: Object.entries(files)
      .map(([path, data]) => ({
        path,
        bytes: Buffer.byteLength(data),
        sha256: sha(data),
        rows: path.endsWith('.csv') ? String(data).split('\r\n').length - 2 : null,
      }))
      .sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  if (makeCurrent) {
    const temp = join(out, `.current-${release.id}`);
    await symlink(join('releases', release.id), temp);
    const { rename } = await import('node:fs/promises');
    await rename(temp, join(out, 'current'));
  }
  return manifest;
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'newsdata-publisher-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A CSV of `rows` articles with Chinese text, long enough to be worth compressing. */
export function articlesCsv(rows: number, title = '市政协召开党组会议'): string {
  const lines = ['article_id,source_id,title,text'];
  for (let i = 1; i <= rows; i++) {
    lines.push(
      `a~${String(i).padStart(8, '0')},page-a,${title}${i},"本报讯 会议指出,要认真学习贯彻精神,第${i}段。"`,
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
