import {
  DataFrame,
  DataFrameJSON,
  DataTransformerConfig,
  dataFrameFromJSON,
  fieldMatchers,
  getFieldDisplayName,
  standardTransformers,
  standardTransformersRegistry,
  transformDataFrame,
} from '@grafana/data';
import { readFileSync } from 'fs';
import { join } from 'path';
import { lastValueFrom } from 'rxjs';

// The health overview dashboard's transformations, run by @grafana/data's own transformers
// over the frames the backend answers (its golden files).

const ROOT = join(__dirname, '..');

interface Panel {
  title: string;
  transformations?: DataTransformerConfig[];
  fieldConfig?: { overrides?: Array<{ matcher: { id: string; options: unknown } }> };
}

function panel(title: string): Panel {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'dashboards', 'health-overview.json'), 'utf8'));
  const found = (dashboard.panels as Panel[]).find((p) => p.title === title);
  if (!found) {
    throw new Error(`health-overview.json has no panel "${title}"`);
  }
  return found;
}

/** The frames of a golden answer of the backend (pkg/plugin/testdata/golden, the SDK's format). */
function golden(name: string): DataFrame[] {
  const text = readFileSync(join(ROOT, 'pkg', 'plugin', 'testdata', 'golden', `${name}.jsonc`), 'utf8');
  // A comment header (`//` lines) before the JSON answer.
  const json = text
    .split('\n')
    .filter((line) => !line.startsWith('//'))
    .join('\n');
  const answer: { frames: DataFrameJSON[] } = JSON.parse(json);
  return answer.frames.map((f) => dataFrameFromJSON(f));
}

function transform(p: Panel, frames: DataFrame[]): Promise<DataFrame[]> {
  return lastValueFrom(transformDataFrame(p.transformations ?? [], frames));
}

/** A field's values by its display name, as panels and the transformation editors show it. */
function column(frame: DataFrame, displayName: string): unknown[] | undefined {
  return frame.fields.find((f) => getFieldDisplayName(f, frame) === displayName)?.values;
}

beforeAll(() => {
  // What Grafana registers at start-up (its getStandardTransformers(), in the app, not in
  // @grafana/data): every standard transformer, some under two keys of standardTransformers,
  // with its editor and images, which no transformation runs.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- @grafana/data 13.2.2 exports the transformers only so
  const byId = new Map(Object.values(standardTransformers).map((t) => [t.id, t]));
  standardTransformersRegistry.setInit(() =>
    [...byId.values()].map((t) => ({
      id: t.id,
      name: t.name,
      description: t.description,
      transformation: () => Promise.resolve(t),
      editor: () => null,
      imageDark: '',
      imageLight: '',
    }))
  );
});

describe('health overview dashboard', () => {
  const table = golden('health-table');
  const instance = String(table[0].fields.find((f) => f.name === 'instance')?.values[0]);
  const verdict = String(table[0].fields.find((f) => f.name === 'status')?.values[0]);

  it('runs the golden table of one demo instance with a verdict', () => {
    // Unregistered transformers are skipped silently: make sure they are the real ones.
    expect(standardTransformersRegistry.getIfExists('filterByValue')).toBeDefined();
    expect(standardTransformersRegistry.getIfExists('filterFieldsByName')).toBeDefined();
    expect(table).toHaveLength(1);
    expect(table[0].length).toBe(1);
    expect(verdict).toBe('critical');
  });

  it.each([
    ['Healthy', 'ok'],
    ['Warning', 'warning'],
    ['Critical', 'critical'],
    ['Down', 'down'],
  ])('counts in %s the instances of the Instances table whose verdict is %s', async (title, status) => {
    const [out] = await transform(panel(title), table);
    // The stat counts the rows' instances (reduceOptions.fields /^instance$/).
    expect(column(out, 'instance')).toEqual(status === verdict ? [instance] : []);
  });

  it('applies every override of the Instances table to a field of the table', () => {
    const [frame] = table;
    const overrides = panel('Instances').fieldConfig?.overrides ?? [];
    expect(overrides.map((o) => o.matcher.options)).toContain('Status');
    for (const { matcher } of overrides) {
      const matches = fieldMatchers.get(matcher.id).get(matcher.options);
      expect([matcher.options, frame.fields.some((f) => matches(f, frame, table))]).toEqual([matcher.options, true]);
    }
  });

  it('keeps the time and the status of every instance in Verdict over time', async () => {
    const frames = golden('health-time_series');
    const out = await transform(panel('Verdict over time'), frames);
    expect(out).toHaveLength(frames.length);
    for (const [i, frame] of out.entries()) {
      expect(frame.fields.map((f) => f.name)).toEqual(['Time', 'status']);
      expect(frame.fields[1].values).toEqual(frames[i].fields.find((f) => f.name === 'status')?.values);
      expect(frame.fields[1].labels?.instance).toBe(instance);
    }
  });
});
