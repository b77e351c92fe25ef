import type { DataSource } from '../../datasource';
import type { GoPulseQuery } from '../../types';

/** The props the QueryEditor gives the editor of each query type. */
export interface TypeEditorProps {
  query: GoPulseQuery;
  onChange: (query: GoPulseQuery) => void;
  onRunQuery: () => void;
  datasource: DataSource;
}
