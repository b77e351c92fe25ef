import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { GoPulseOptions, GoPulseQuery, GoPulseSecureJsonData } from './types';

export const plugin = new DataSourcePlugin<DataSource, GoPulseQuery, GoPulseOptions, GoPulseSecureJsonData>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
