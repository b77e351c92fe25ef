import React from 'react';
import { act, render, screen, waitFor } from '@testing-library/react';
import { EditorView, runScopeHandlers } from '@codemirror/view';

import { mockDataSource } from '../../test/utils';
import PromQLCodeEditor, { PromQLCodeEditorProps } from './PromQLCodeEditor';

// The real CodeMirror editor in jsdom: what it reports through its props, the seam the
// PromQL query editor saves from.
function setup(over: Partial<PromQLCodeEditorProps> = {}) {
  const props: PromQLCodeEditorProps = {
    value: 'up',
    onChange: jest.fn(),
    onBlur: jest.fn(),
    onRunQuery: jest.fn(),
    ariaLabel: 'Expression',
    ...over,
  };
  const r = render(<PromQLCodeEditor {...props} />);
  const content = screen.getByLabelText('Expression');
  const view = EditorView.findFromDOM(content)!;
  return { ...r, props, view, content };
}

describe('PromQLCodeEditor', () => {
  it('shows the value in an editable area named by ariaLabel', () => {
    const { view, content } = setup({ value: 'sum(go_goroutines)' });
    expect(content).toHaveAttribute('contenteditable', 'true');
    expect(view.state.doc.toString()).toBe('sum(go_goroutines)');
  });

  it('reports every edit through onChange with the whole text', () => {
    const { view, props } = setup();
    act(() => view.dispatch({ changes: { from: 2, insert: '{job="demo"}' } }));
    expect(props.onChange).toHaveBeenLastCalledWith('up{job="demo"}');
    act(() => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: '' } }));
    expect(props.onChange).toHaveBeenLastCalledWith('');
  });

  it('runs the query on Shift+Enter and Ctrl+Enter, without a newline', () => {
    const { view, props } = setup();
    act(() => {
      runScopeHandlers(view, new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true }), 'editor');
    });
    act(() => {
      runScopeHandlers(view, new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true }), 'editor');
    });
    expect(props.onRunQuery).toHaveBeenCalledTimes(2);
    expect(view.state.doc.toString()).toBe('up');
    expect(props.onChange).not.toHaveBeenCalled();
  });

  it('reports losing focus through onBlur', async () => {
    const { view, props } = setup();
    // CodeMirror notices focus changes a few milliseconds after the DOM events.
    const pause = () => act(() => new Promise((resolve) => setTimeout(resolve, 30)));
    act(() => view.focus());
    await pause();
    expect(props.onBlur).not.toHaveBeenCalled();
    act(() => view.contentDOM.blur());
    await waitFor(() => expect(props.onBlur).toHaveBeenCalledTimes(1));
  });

  it('takes a value changed from outside without reporting it back', () => {
    const { view, props, rerender } = setup();
    rerender(<PromQLCodeEditor {...props} value="rate(x[5m])" />);
    expect(view.state.doc.toString()).toBe('rate(x[5m])');
    expect(props.onChange).not.toHaveBeenCalled();
  });

  it('highlights PromQL', () => {
    const { content } = setup({ value: 'sum by (job) (rate(http_requests_total{code="500"}[5m]))' });
    // Highlighted tokens are spans with the theme's classes inside the lines.
    expect(content.querySelectorAll('.cm-line span').length).toBeGreaterThan(3);
  });

  it('completes label values from the data source', async () => {
    const { ds, getResource } = mockDataSource();
    const { view } = setup({ value: 'up{job="', resources: ds });
    const source = view.state.languageDataAt<(ctx: unknown) => Promise<{ options: Array<{ label: string }> }>>(
      'autocomplete',
      view.state.doc.length
    )[0];
    const { CompletionContext } = await import('@codemirror/autocomplete');
    const result = await source(new CompletionContext(view.state, view.state.doc.length, true));
    expect(result.options.map((o) => o.label)).toEqual(['demo', 'loadgen']);
    expect(getResource).toHaveBeenCalledWith('label-values', { label: 'job', 'match[]': 'up' });
  });
});
