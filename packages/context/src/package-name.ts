/**
 * The package's own name.
 */

/**
 * The npm name of this package.
 *
 * @public
 */
export const PACKAGE_NAME = '@runtime/context';
