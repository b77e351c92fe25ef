import React, { ChangeEvent } from 'react';
import { InlineField, Input } from '@grafana/ui';

import { matchersError } from '../../validation';

interface Props {
  id: string;
  labelWidth: number;
  tooltip: string;
  placeholder: string;
  value?: string;
  onChange: (matchers: string) => void;
  /** Runs the query when the field is left with valid matchers. */
  onRunQuery: () => void;
}

/** A PromQL label-matcher list without braces, checked as typed; leaving it runs the query. */
export function MatchersField({ id, labelWidth, tooltip, placeholder, value, onChange, onRunQuery }: Props) {
  const problem = matchersError(value);
  return (
    <InlineField
      label="Matchers"
      labelWidth={labelWidth}
      grow
      tooltip={tooltip}
      invalid={Boolean(problem)}
      error={problem}
    >
      <Input
        id={id}
        value={value ?? ''}
        onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value)}
        onBlur={() => !problem && onRunQuery()}
        placeholder={placeholder}
        style={{ fontFamily: 'monospace' }}
      />
    </InlineField>
  );
}
