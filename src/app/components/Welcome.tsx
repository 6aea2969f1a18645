import { startDemo } from '../workbench/demoActions.ts';
import { OpenModelButton } from './OpenModelButton.tsx';

/** The first screen, before any model is open: your own model, or the bundled demo. */
export function Welcome() {
  return (
    <section className="panel welcome" aria-labelledby="welcome-title">
      <h2 id="welcome-title">Open a model to begin</h2>
      <p>
        Choose an ONNX model, or drop it anywhere on this page. It is read and analysed in your
        browser; nothing is uploaded.
      </p>
      <div className="welcome-actions">
        <OpenModelButton primary />
        <button type="button" className="button" onClick={() => void startDemo()}>
          Try the demo
        </button>
      </div>
      <p className="muted small">
        The demo is ResNet-20 trained on CIFAR-10 (1.1 MB) with 1,000 test images and 1,024
        calibration images, bundled with the app (7.3 MB in all): it opens ready to compress with
        QAF at rate 2 and 4 bits.
      </p>
      <p className="muted small">
        With your own model you will see its inputs and outputs, parameter and MAC counts, and every
        convolution and dense layer, with whether it can be factorized.
      </p>
    </section>
  );
}
