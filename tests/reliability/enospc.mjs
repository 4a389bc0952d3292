// Preloaded with `node --import`: writes through a FileHandle to files under NEWSDATA_TEST_ENOSPC_DIR
// fail with ENOSPC once NEWSDATA_TEST_ENOSPC_AFTER bytes have been written there, as on a full disk.
// Used where a small tmpfs cannot be mounted (no root).
import { readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';

const dir = process.env.NEWSDATA_TEST_ENOSPC_DIR;
const budget = Number(process.env.NEWSDATA_TEST_ENOSPC_AFTER ?? '0');

if (dir) {
  const probe = await open(process.execPath, 'r');
  const proto = Object.getPrototypeOf(probe);
  await probe.close();
  let written = 0;
  const full = () =>
    Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      errno: -28,
      syscall: 'write',
    });
  const inside = (fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
    } catch {
      return false;
    }
  };
  const size = (data) => (typeof data === 'string' ? Buffer.byteLength(data) : (data?.byteLength ?? 0));
  for (const name of ['write', 'writeFile', 'appendFile']) {
    const original = proto[name];
    proto[name] = async function (data, ...rest) {
      if (inside(this.fd)) {
        written += size(data);
        if (written > budget) throw full();
      }
      return original.call(this, data, ...rest);
    };
  }
  const writev = proto.writev;
  proto.writev = async function (buffers, ...rest) {
    if (inside(this.fd)) {
      written += buffers.reduce((sum, b) => sum + b.byteLength, 0);
      if (written > budget) throw full();
    }
    return writev.call(this, buffers, ...rest);
  };
}
