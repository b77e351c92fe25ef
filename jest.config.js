// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const baseConfig = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

// ESM-only packages that @grafana/* 13 and @grafana/plugin-ui pull in, beyond the scaffold's list.
const extraESModules = ['@react-hookz/web', '@ver0/deep-equal', '@marcbachmann/cel-js'];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...baseConfig,
  moduleNameMapper: {
    ...baseConfig.moduleNameMapper,
    // Like the scaffold's mock, but keeps the Icon's title and handlers (icon buttons).
    'react-inlinesvg': '<rootDir>/src/test/mocks/react-inlinesvg.tsx',
  },
  // Editor tests drive @grafana/ui pickers through user-event in jsdom: on a CI machine
  // shared with CPU-heavy jobs (load average 30 on 2 cores) one test took more than 30 s.
  // The timeout only catches a hang; it must not depend on the machine being idle.
  testTimeout: 300000,
  transform: {
    ...baseConfig.transform,
    // @grafana/data 13 pulls in ESM-only d3 packages shipped as .mjs, which the scaffolded
    // transform (.js/.jsx/.ts/.tsx) does not cover.
    '^.+\\.mjs$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' } } }],
  },
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, ...extraESModules])],
};
