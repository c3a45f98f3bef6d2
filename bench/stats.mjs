export function percentile(sortedMs, p) {
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index];
}

/** Sequential latency of `request` (one connection), after a warm-up. */
export async function latency(request, count, warmup = 50) {
  for (let i = 0; i < warmup; i++) await request();
  const samples = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await request();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), count };
}

export const fmt = (n, digits = 2) => n.toFixed(digits);

/**
 * Sequential latency of several requests (one connection), sampled in turn after a warm-up of each:
 * a change in the machine's load during the run weighs on all of them alike, so their ratios hold.
 */
export async function interleavedLatency(requests, count, warmup = 50) {
  for (let i = 0; i < warmup; i++) for (const request of requests) await request();
  const samples = requests.map(() => []);
  for (let i = 0; i < count; i++) {
    for (const [k, request] of requests.entries()) {
      const start = performance.now();
      await request();
      samples[k].push(performance.now() - start);
    }
  }
  return samples.map((xs) => {
    xs.sort((a, b) => a - b);
    return { p50: percentile(xs, 50), p99: percentile(xs, 99), count };
  });
}

/** Runs `task` over `items`, `limit` at a time. */
export async function inParallel(items, limit, task) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
}

/** Requests per second of `request(i)` for i < count, `connections` at a time. */
export async function throughput(request, count, connections) {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < count) await request(next++);
    }),
  );
  return count / ((performance.now() - start) / 1000);
}
