/**
 * Runs up to `parallelism` producers at once and yields their items as they come, holding at most
 * one undelivered item per producer running (memory stays bounded by batch size × parallelism). When the
 * consumer stops early, fails, or `signal` aborts, the producers' shared signal aborts so they can
 * destroy their streams, and the generator waits for them to wind down before returning.
 */
export async function* mergeParallel<T>(
  producers: ((signal: AbortSignal) => AsyncIterable<T>)[],
  parallelism: number,
  signal: AbortSignal,
): AsyncGenerator<T> {
  const stop = new AbortController();
  const inner = AbortSignal.any([signal, stop.signal]);
  const queue: T[] = [];
  // One undelivered item per producer running: more read-ahead buys no throughput (the consumer is the
  // bottleneck when it fills), and every batch held is live data each young-generation GC copies.
  const limit = Math.max(1, Math.min(parallelism, producers.length));
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  const wakeProducers: (() => void)[] = [];
  const notifyConsumer = () => {
    wakeConsumer?.();
    wakeConsumer = undefined;
  };
  const notifyProducers = () => {
    for (const w of wakeProducers.splice(0)) w();
  };
  inner.addEventListener("abort", () => {
    notifyConsumer();
    notifyProducers();
  });

  let next = 0;
  const worker = async (): Promise<void> => {
    while (!inner.aborted && next < producers.length) {
      const produce = producers[next++]!;
      for await (const item of produce(inner)) {
        while (queue.length >= limit && !inner.aborted) await new Promise<void>((r) => wakeProducers.push(r));
        if (inner.aborted) return;
        queue.push(item);
        notifyConsumer();
      }
    }
  };
  let running = Math.min(Math.max(1, parallelism), producers.length);
  const workers = Array.from({ length: running }, () =>
    worker()
      .catch((error: unknown) => {
        failure ??= { error };
        stop.abort();
      })
      .finally(() => {
        running--;
        notifyConsumer();
      }),
  );

  try {
    for (;;) {
      if (failure) throw failure.error;
      signal.throwIfAborted();
      const item = queue.shift();
      if (item !== undefined) {
        notifyProducers();
        yield item;
        continue;
      }
      if (running === 0) break;
      await new Promise<void>((r) => {
        wakeConsumer = r;
      });
    }
  } finally {
    stop.abort();
    await Promise.all(workers);
  }
}
