// `node --import` preload for Herald's devhost in bench/push.mjs: what its RSS is made of. Every 200 ms it reads
// process.memoryUsage() and keeps, in <BENCH_MEMORY_FILE>, the sample at the highest RSS and the highest
// heapUsed: the JS heap V8 has reserved (heapTotal) and used (live objects plus garbage not yet collected),
// Buffers and other memory outside it (external), and what neither covers (code, stacks, the allocator's
// free lists). The file is rewritten as the peaks move, so the bench reads it while devhost runs.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_MEMORY_FILE;
if (file) {
  const mb = (n) => Math.round(n / 1048576);
  const shape = (m) => ({
    rss: mb(m.rss),
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
  });
  let atPeakRss;
  let atPeakHeap;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    let moved = false;
    if (!atPeakRss || m.rss > atPeakRss.rss) {
      atPeakRss = m;
      moved = true;
    }
    if (!atPeakHeap || m.heapUsed > atPeakHeap.heapUsed) {
      atPeakHeap = m;
      moved = true;
    }
    if (moved) writeFileSync(file, JSON.stringify({ atPeakRss: shape(atPeakRss), atPeakHeap: shape(atPeakHeap) }));
  }, 200);
  timer.unref();
}
