// Progress from a worker comes through a comlink proxy, on its own MessagePort, so the last
// events of a call can arrive after the call's answer. Applied then, they put a finished run
// back to "Evaluating" (the run looked hung after a sweep cancel, whose load shifted the timing).
// A gate passes only the events of the step opened last.

export interface StepGate {
  /** Starts a step: the returned callback forwards events until the next open() or close(). */
  open<A extends unknown[]>(listener: (...args: A) => void): (...args: A) => void;
  /** Ends the current step: its late events are dropped. */
  close(): void;
}

export function createStepGate(): StepGate {
  let current = 0;
  return {
    open(listener) {
      const step = ++current;
      return (...args) => {
        if (step === current) listener(...args);
      };
    },
    close() {
      current++;
    },
  };
}
