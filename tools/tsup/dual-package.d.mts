import type { Options } from 'tsup';

/** The dual ESM + CommonJS build of a published package: `entry` maps subpath names to source files. */
export declare function dualPackage(entry: Record<string, string>, extra?: Options): Options | Options[] | ((overrideOptions: Options) => Options | Options[] | Promise<Options | Options[]>);
