import { dualPackage } from '../../tools/tsup/dual-package.mjs';

export default dualPackage({ index: 'src/index.ts' }, { noExternal: ['p-limit', 'yocto-queue'] });
