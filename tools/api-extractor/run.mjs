#!/usr/bin/env node
// Runs api-extractor for every `api-extractor*.json` in the current package.
//   runtime-api-extractor          check: fails when the public API differs from etc/*.api.md,
//                                  or on any error or warning (ae-forgotten-export, ae-missing-release-tag, …)
//   runtime-api-extractor --local  update: rewrites the reports from the current build
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const localBuild = process.argv.includes('--local');
const configs = readdirSync(process.cwd())
  .filter((name) => /^api-extractor(\..+)?\.json$/.test(name))
  .sort();

if (configs.length === 0) {
  console.error(`runtime-api-extractor: no api-extractor*.json in ${process.cwd()}`);
  process.exit(1);
}

let failed = false;
for (const name of configs) {
  const config = ExtractorConfig.loadFileAndPrepare(join(process.cwd(), name));
  const result = Extractor.invoke(config, { localBuild, showVerboseMessages: false });
  if (result.succeeded) {
    console.log(`${name}: API report ${localBuild && result.apiReportChanged ? 'updated' : 'matches'} (${config.reportFilePath})`);
    continue;
  }
  failed = true;
  if (result.errorCount > 0 || result.warningCount > 0) {
    console.error(`${name}: api-extractor found ${result.errorCount} error(s), ${result.warningCount} warning(s) (see above).`);
  }
  if (result.apiReportChanged && !localBuild) {
    console.error(
      `${name}: the public API differs from ${config.reportFilePath}.\n` +
        `Run \`pnpm api:update\` and commit the report if the change is intended.`,
    );
  }
}
process.exit(failed ? 1 : 0);
