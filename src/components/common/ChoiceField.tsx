import React from 'react';
import type { SelectableValue } from '@grafana/data';
import { InlineField, RadioButtonGroup } from '@grafana/ui';

export interface ChoiceFieldProps<T> {
  label: string;
  labelWidth?: number;
  tooltip?: string;
  disabled?: boolean;
  options: Array<SelectableValue<T>>;
  value: T;
  disabledOptions?: T[];
  onChange: (value: T) => void;
}

/** A labelled choice among a few options (source, format, mode...), as small radio buttons. */
export function ChoiceField<T>(props: ChoiceFieldProps<T>) {
  const { label, labelWidth, tooltip, disabled, ...group } = props;
  return (
    <InlineField label={label} labelWidth={labelWidth} tooltip={tooltip} disabled={disabled}>
      <RadioButtonGroup<T> {...group} size="sm" />
    </InlineField>
  );
}
