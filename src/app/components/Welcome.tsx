import { OpenModelButton } from './OpenModelButton.tsx';

/** The first screen, before any model is open. */
export function Welcome() {
  return (
    <section className="panel welcome">
      <h2>Open a model to begin</h2>
      <p>
        Choose an ONNX model, or drop it anywhere on this page. It is read and analysed in your
        browser; nothing is uploaded.
      </p>
      <OpenModelButton primary />
      <p className="muted small">
        You will see its inputs and outputs, parameter and MAC counts, and every convolution and
        dense layer, with whether it can be factorized.
      </p>
    </section>
  );
}
