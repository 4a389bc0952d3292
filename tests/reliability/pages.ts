/**
 * Small, valid newspaper pages for the reliability tests: one or more articles, each a headline, a
 * lead paragraph with an inline byline and a number, and closing paragraphs, every paragraph
 * ending with closing punctuation so that nothing is joined across articles.
 */

const headlines = [
  '市政府召开常务会议',
  '全市春耕生产有序推进',
  '港口集装箱吞吐量创新高',
  '社区养老服务中心开业',
];
const reporters = ['王明', '李华', '张伟', '刘洋'];

/** One article; `marker` makes its text unique (a version number, a run number). */
export function article(index: number, marker: string): string {
  const headline = `${headlines[index % headlines.length]}${index >= headlines.length ? `(${index})` : ''}`;
  const reporter = reporters[index % reporters.length];
  return [
    headline,
    '',
    `本报讯(记者 ${reporter})昨天,有关部门召开会议,部署${marker}阶段工作。今年全市共办理提案${100 + index}件。`,
    '',
    `会议要求各部门加强协作,确保${marker}各项任务落到实处。`,
    '',
  ].join('\n');
}

/** A page of `count` articles carrying `marker`. */
export function page(marker: string, count = 1, first = 0): string {
  return Array.from({ length: count }, (_, i) => article(first + i, marker)).join('\n');
}
