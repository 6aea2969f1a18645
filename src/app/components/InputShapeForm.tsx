import { type FormEvent, useState } from 'react';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { formatShape } from '../format.ts';
import { inputsNeedingShapes, parseInputShapes, shapeTemplate } from '../inputShapes.ts';
import { applyInputShapes } from '../modelActions.ts';

/** Concrete shapes for inputs with symbolic dims (beyond batch), so MACs can be counted. */
export function InputShapeForm({ model }: { model: ModelOverview }) {
  const inputs = inputsNeedingShapes(model.summary.inputs);
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      inputs.map((input) => {
        const given = model.inputShapes?.[input.name];
        return [input.name, given ? given.join(',') : shapeTemplate(input.shape)];
      }),
    ),
  );
  const [problem, setProblem] = useState<string | null>(null);
  if (inputs.length === 0) return null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    try {
      const shapes = parseInputShapes(inputs, texts);
      setProblem(null);
      void applyInputShapes(shapes);
    } catch (err) {
      setProblem((err as Error).message);
    }
  };

  return (
    <form className="shape-form" onSubmit={submit}>
      <p className="muted small">
        Some input dimensions are symbolic. Give a concrete shape to count MACs per layer.
      </p>
      {inputs.map((input) => (
        <label key={input.name} className="shape-field">
          <span>
            <code>{input.name}</code> <span className="muted">{formatShape(input.shape)}</span>
          </span>
          <input
            type="text"
            inputMode="numeric"
            placeholder="1,3,224,224"
            value={texts[input.name] ?? ''}
            onChange={(e) => setTexts({ ...texts, [input.name]: e.currentTarget.value })}
          />
        </label>
      ))}
      <button type="submit" className="button">
        Apply shape
      </button>
      {problem && <p className="field-error">{problem}</p>}
    </form>
  );
}
