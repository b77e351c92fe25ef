// Stands in for react-inlinesvg (which @grafana/ui's Icon uses to fetch its SVGs) like the
// scaffold's mock in .config/jest/mocks, but passes the Icon's props through, so that an
// icon button's title, role and click handler work in tests (e.g. a picker's "Clear value").
import React from 'react';

const SVG_FILE_NAME_REGEX = /(.+)\/(.+)\.svg$/;

type Props = React.SVGProps<SVGSVGElement> & {
  src: string;
  title?: string;
  cacheRequests?: unknown;
  innerRef?: unknown;
  loader?: unknown;
};

export default function InlineSVG({ src, cacheRequests, innerRef, loader, title, ...rest }: Props) {
  // The test id is the file name without extension: `.../angle-down.svg` → `angle-down`.
  const testId = src.replace(SVG_FILE_NAME_REGEX, '$2');
  return (
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" {...rest} data-testid={testId}>
      {title ? <title>{title}</title> : null}
    </svg>
  );
}
