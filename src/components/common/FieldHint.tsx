import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Text, useStyles2 } from '@grafana/ui';

/** A line of secondary text under a field, aligned with the inputs of fields whose label is `labelWidth` wide. */
export function FieldHint({ labelWidth, children }: { labelWidth: number; children: string }) {
  const styles = useStyles2(getStyles, labelWidth);
  return (
    <div className={styles.hint}>
      <Text color="secondary" variant="bodySmall">
        {children}
      </Text>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2, labelWidth: number) => ({
  hint: css({ paddingLeft: theme.spacing(labelWidth + 0.5), marginBottom: theme.spacing(0.5) }),
});
