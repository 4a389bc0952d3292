// A worker thread of `parallelSpeedup`: parses and extracts the pages it is sent, warm-up pages first.
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { toRecords } from '@newsdata/extract';
import { parsePage } from '@newsdata/parse';

function build(file: string): void {
  const page = parsePage(readFileSync(file), { file });
  toRecords(page, { source_id: 'bench', meta: null, date: null });
}

parentPort!.on('message', (message: { warmup: string[] } | { files: string[] }) => {
  if ('warmup' in message) {
    for (const file of message.warmup) build(file);
    parentPort!.postMessage('warm');
    return;
  }
  for (const file of message.files) build(file);
  parentPort!.postMessage('done');
});
