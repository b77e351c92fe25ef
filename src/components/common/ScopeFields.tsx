import React, { useId } from 'react';
import { Combobox, ComboboxOption, InlineField, InlineFieldRow } from '@grafana/ui';

import type { DataSource } from '../../datasource';
import { escapePromQLString } from '../../validation';
import { stringOptions, loadError, variableOptions } from './options';
import { useResource } from './useResource';

export interface Scope {
  job?: string;
  instance?: string;
}

interface Props extends Scope {
  datasource: DataSource;
  labelWidth: number;
  /** Gets the changed field; an empty field comes as undefined. */
  onChange: (scope: Scope) => void;
}

/** The series selector of a job's instances: exact for a plain value, a regex for a variable. */
export function instancesOf(job: string | undefined): string | undefined {
  if (!job) {
    return undefined;
  }
  return job.includes('$') ? `{job=~"${job}"}` : `{job="${escapePromQLString(job)}"}`;
}

/**
 * Job and instance pickers fed by the data source (`label-values?label=job`,
 * `label-values?label=instance&match[]={job="..."}`), with the dashboard's variables and
 * free text (the instance is a regex). Empty means all.
 */
export function ScopeFields({ datasource, job, instance, labelWidth, onChange }: Props) {
  const id = useId();
  const jobs = useResource('job', () => datasource.fetchLabelValues('job'), [] as string[]);
  const instanceMatch = instancesOf(job);
  const instances = useResource(
    `instance:${instanceMatch ?? ''}`,
    () => datasource.fetchLabelValues('instance', instanceMatch),
    [] as string[]
  );
  const variables = variableOptions();

  return (
    <InlineFieldRow>
      <InlineField
        label="Job"
        labelWidth={labelWidth}
        tooltip="The job label of the services to show. Empty: all jobs."
        error={loadError('jobs', jobs.error)}
        invalid={Boolean(jobs.error)}
      >
        <Combobox<string>
          id={`${id}-job`}
          options={[...stringOptions(jobs.value), ...variables]}
          value={job ?? null}
          loading={jobs.loading}
          createCustomValue
          isClearable
          placeholder="All jobs"
          width={30}
          onChange={(o: ComboboxOption<string> | null) => onChange({ job: o?.value || undefined, instance })}
        />
      </InlineField>
      <InlineField
        label="Instance"
        labelWidth={10}
        tooltip="A regex on the instance label, e.g. 10.0.0.1:8080 or web-.*. Empty: all instances."
        error={loadError('instances', instances.error)}
        invalid={Boolean(instances.error)}
      >
        <Combobox<string>
          id={`${id}-instance`}
          options={[...stringOptions(instances.value), ...variables]}
          value={instance ?? null}
          loading={instances.loading}
          createCustomValue
          isClearable
          placeholder="All instances"
          width={30}
          onChange={(o: ComboboxOption<string> | null) => onChange({ job, instance: o?.value || undefined })}
        />
      </InlineField>
    </InlineFieldRow>
  );
}
