/** A row of buttons, one pressed: a setting with a few named values. */
export function Choice<T extends string | number>(props: {
  label: string;
  value: T;
  options: readonly (readonly [T, string])[];
  onChange(value: T): void;
  disabled?: boolean;
}) {
  return (
    <div className="field-row">
      <span className="field-label">{props.label}</span>
      <fieldset className="segmented" aria-label={props.label}>
        {props.options.map(([value, text]) => (
          <button
            key={String(value)}
            type="button"
            disabled={props.disabled}
            aria-pressed={props.value === value}
            onClick={() => props.onChange(value)}
          >
            {text}
          </button>
        ))}
      </fieldset>
    </div>
  );
}
