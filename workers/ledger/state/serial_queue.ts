// Runs async tasks strictly one after another. A Durable Object's input gate only holds while the
// object awaits its own storage; an await on D1 or fetch opens the gate and lets the next call in.
// Every balance mutation therefore goes through this queue.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
