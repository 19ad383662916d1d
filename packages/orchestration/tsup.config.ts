import { dualPackage } from '../../tools/tsup/dual-package.mjs';

export default dualPackage({ index: 'src/index.ts', sqlite: 'src/sqlite.ts', postgres: 'src/postgres.ts', testing: 'src/testing.ts' });
