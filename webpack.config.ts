// Extends the scaffolded webpack config (.config/webpack/webpack.config.ts) the create-plugin way:
// https://grafana.com/developers/plugin-tools/how-to-guides/extend-configurations#extend-the-webpack-config
import CopyWebpackPlugin from 'copy-webpack-plugin';
import path from 'path';
import type { Configuration } from 'webpack';
import { merge } from 'webpack-merge';

import { copyFilePatterns } from './.config/bundler/copyFiles';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config';

// The scaffold copies every JSON file of src/ into dist/; test fixtures and the query
// schema (a development contract) are not part of the package.
const notShipped = ['**/testdata/**', '**/schema/**'];
const shippedFilePatterns = copyFilePatterns.map((p) =>
  p.from === '**/*.json' ? { ...p, globOptions: { ignore: notShipped } } : p
);

const config = async (env: Env): Promise<Configuration> => {
  const baseConfig = await grafanaConfig(env);
  // Replace the scaffold's copy of src/ files with one that leaves the fixtures out.
  baseConfig.plugins = (baseConfig.plugins ?? []).filter((p) => !(p instanceof CopyWebpackPlugin));

  return merge(baseConfig, {
    performance: {
      // module.js stays small; the CodeMirror PromQL editor (about 450 KiB minified) is a
      // chunk loaded on first use of the PromQL editor (React.lazy): warn above that.
      maxAssetSize: 512 * 1024,
      maxEntrypointSize: 256 * 1024,
    },
    optimization: {
      // The lazily loaded PromQL editor is one chunk (promql-editor.js) with its CodeMirror
      // dependencies, not a component chunk plus a numbered vendor chunk.
      splitChunks: { cacheGroups: { defaultVendors: false, default: false } },
    },
    cache: {
      type: 'filesystem',
      buildDependencies: {
        // Rebuild when this file changes, not only the scaffolded one.
        config: [path.resolve(process.cwd(), 'webpack.config.ts')],
      },
    },
    plugins: [
      new CopyWebpackPlugin({ patterns: shippedFilePatterns }),
      // The bundled dashboards live in the top-level dashboards/ folder (plugin.json
      // "includes" refers to them as dashboards/<name>.json): copy them to dist/dashboards/.
      new CopyWebpackPlugin({
        patterns: [
          {
            from: 'dashboards/*.json',
            context: process.cwd(),
            to: '.',
            noErrorOnMissing: true,
          },
        ],
      }),
    ],
  });
};

export default config;
