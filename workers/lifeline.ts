// The worker half of silent-death detection. A worker can die with no `error` event reaching the
// page (killed for memory, terminated behind the client's back, `self.close()`), and a ping cannot
// tell a dead worker from one busy in a long WASM loop. A Web Lock can: this worker takes an
// exclusive lock named by the page (the Worker's `name`) and never lets go, and the browser
// releases it only when the worker's context is gone. The page queues for the same lock
// (src/app/bridge/workerClient.ts); being granted it means this worker is dead.
// Imported for its effect by every worker entry; inert outside a worker (Node tests import them).

/** Worker names that ask for a lifeline start with this; the rest of the name is the lock's. */
export const LIFELINE_PREFIX = 'qaf-lifeline/';

const scope = globalThis as {
  WorkerGlobalScope?: unknown;
  name?: string;
  navigator?: { locks?: LockManager };
};

if (typeof scope.WorkerGlobalScope !== 'undefined' && scope.name?.startsWith(LIFELINE_PREFIX)) {
  // Without Web Locks (or if refused) the page simply gets no silent-death detection.
  scope.navigator?.locks?.request(scope.name, () => new Promise<never>(() => {})).catch(() => {});
}
