import React, { useEffect, useMemo, useRef } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { Annotation, Compartment, EditorState, Extension, Prec } from '@codemirror/state';
import { EditorView, keymap, placeholder as placeholderExt } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';

import { CompletionResources, GoPulsePrometheusClient } from '../../promql/client';

/**
 * The props of the CodeMirror PromQL field: the seam the PromQL editor (and its tests)
 * talk through. onChange gets the whole text on every edit; onBlur fires when the field
 * loses focus; onRunQuery on Shift+Enter or Ctrl/Cmd+Enter.
 */
export interface PromQLCodeEditorProps {
  value: string;
  onChange: (value: string) => void;
  onBlur: () => void;
  onRunQuery: () => void;
  /** The data source resources behind autocomplete (label names and values, metric names and metadata). */
  resources?: CompletionResources;
  placeholder?: string;
  /** Accessible name of the editable area. */
  ariaLabel?: string;
}

/** Marks the edits that bring in a value set from outside: not reported back through onChange. */
const fromProps = Annotation.define<boolean>();

/**
 * A one-to-few-line CodeMirror 6 editor with PromQL highlighting and autocomplete
 * (@prometheus-io/codemirror-promql). Kept thin and loaded lazily: it is most of the
 * plugin's JavaScript.
 */
export default function PromQLCodeEditor(props: PromQLCodeEditorProps) {
  const { value, resources, placeholder, ariaLabel } = props;
  const client = useMemo(() => (resources ? new GoPulsePrometheusClient(resources) : undefined), [resources]);
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const parentRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  const compartments = useRef({ language: new Compartment(), theme: new Compartment(), attrs: new Compartment() });
  // The view is created once; its listeners call the latest props through this ref.
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });

  useEffect(() => {
    const parent = parentRef.current;
    if (!parent) {
      return;
    }
    const run = () => {
      latest.current.onRunQuery();
      return true;
    };
    const view = new EditorView({
      parent,
      state: EditorState.create({
        doc: latest.current.value,
        extensions: [
          history(),
          closeBrackets(),
          bracketMatching(),
          autocompletion({ activateOnTyping: true, icons: false }),
          EditorView.lineWrapping,
          Prec.highest(
            keymap.of([
              { key: 'Shift-Enter', run },
              { key: 'Mod-Enter', run },
            ])
          ),
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
          compartments.current.language.of([]),
          compartments.current.theme.of([]),
          compartments.current.attrs.of([]),
          EditorView.updateListener.of((update) => {
            if (update.docChanged && !update.transactions.some((tr) => tr.annotation(fromProps))) {
              latest.current.onChange(update.state.doc.toString());
            }
            if (update.focusChanged && !update.view.hasFocus) {
              latest.current.onBlur();
            }
          }),
        ],
      }),
    });
    viewRef.current = view;
    return () => {
      view.destroy();
      viewRef.current = null;
    };
  }, []);

  // Autocomplete follows the data source.
  useEffect(() => {
    const promql = new PromQLExtension()
      // The linter flags Grafana's $variables and $__macros, which the backend expands.
      .activateLinter(false)
      .setComplete(client ? { remote: client } : undefined);
    viewRef.current?.dispatch({ effects: compartments.current.language.reconfigure(promql.asExtension()) });
    return () => promql.destroy();
  }, [client]);

  useEffect(() => {
    viewRef.current?.dispatch({ effects: compartments.current.theme.reconfigure(editorTheme(theme)) });
  }, [theme]);

  useEffect(() => {
    const attrs: Extension[] = [EditorView.contentAttributes.of({ 'aria-label': ariaLabel ?? 'PromQL expression' })];
    if (placeholder) {
      attrs.push(placeholderExt(placeholder));
    }
    viewRef.current?.dispatch({ effects: compartments.current.attrs.reconfigure(attrs) });
  }, [ariaLabel, placeholder]);

  // A value changed from outside (another editor, a query history pick) replaces the text.
  useEffect(() => {
    const view = viewRef.current;
    if (view && view.state.doc.toString() !== value) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: value },
        annotations: fromProps.of(true),
      });
    }
  }, [value]);

  return <div ref={parentRef} className={styles.wrapper} data-testid="gopulse-promql-editor" />;
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({
    width: '100%',
    minHeight: theme.spacing(4),
    border: `1px solid ${theme.components.input.borderColor}`,
    borderRadius: theme.shape.radius.default,
    background: theme.components.input.background,
    '&:focus-within': {
      outline: `2px dotted transparent`,
      boxShadow: `0 0 0 2px ${theme.colors.background.canvas}, 0 0 0px 4px ${theme.colors.primary.main}`,
    },
  }),
});

/** CodeMirror theme and PromQL highlight colours from the Grafana theme. */
function editorTheme(theme: GrafanaTheme2): Extension {
  const dark = theme.isDark;
  const base = EditorView.theme(
    {
      '&': {
        color: theme.colors.text.primary,
        backgroundColor: 'transparent',
        fontFamily: theme.typography.fontFamilyMonospace,
        fontSize: theme.typography.bodySmall.fontSize,
      },
      '&.cm-focused': { outline: 'none' },
      '.cm-content': {
        fontFamily: theme.typography.fontFamilyMonospace,
        caretColor: theme.colors.text.primary,
        padding: theme.spacing(0.75, 0),
      },
      '.cm-line': { padding: theme.spacing(0, 1) },
      '.cm-cursor': { borderLeftColor: theme.colors.text.primary },
      '.cm-placeholder': { color: theme.colors.text.disabled },
      '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
        backgroundColor: theme.colors.action.selected,
      },
      '.cm-matchingBracket': {
        backgroundColor: theme.colors.action.hover,
        outline: `1px solid ${theme.colors.border.medium}`,
      },
      '.cm-tooltip': {
        backgroundColor: theme.colors.background.elevated,
        color: theme.colors.text.primary,
        border: `1px solid ${theme.colors.border.weak}`,
        boxShadow: theme.shadows.z2,
        fontFamily: theme.typography.fontFamilyMonospace,
      },
      '.cm-tooltip-autocomplete > ul > li[aria-selected]': {
        backgroundColor: theme.colors.action.selected,
        color: theme.colors.text.primary,
      },
      '.cm-completionDetail': { color: theme.colors.text.secondary, fontStyle: 'normal', marginLeft: theme.spacing(1) },
      '.cm-completionMatchedText': { textDecoration: 'none', fontWeight: theme.typography.fontWeightBold },
      '.cm-completionInfo': { backgroundColor: theme.colors.background.elevated, maxWidth: '400px' },
    },
    { dark }
  );
  const highlight = HighlightStyle.define([
    { tag: tags.number, color: dark ? '#73bf69' : '#37872d' },
    { tag: tags.string, color: dark ? '#ff9830' : '#c4162a' },
    { tag: tags.keyword, color: dark ? '#5794f2' : '#1f60c4', fontWeight: 'bold' },
    { tag: tags.function(tags.variableName), color: dark ? '#5794f2' : '#1f60c4' },
    { tag: tags.labelName, color: dark ? '#fade2a' : '#8f3bb8' },
    { tag: tags.operator, color: theme.colors.text.secondary },
    { tag: tags.modifier, color: dark ? '#b877d9' : '#8f3bb8' },
    { tag: [tags.paren, tags.brace, tags.squareBracket], color: theme.colors.text.secondary },
    { tag: tags.comment, color: theme.colors.text.disabled, fontStyle: 'italic' },
    { tag: tags.invalid, color: theme.colors.error.text },
  ]);
  return [base, syntaxHighlighting(highlight)];
}
