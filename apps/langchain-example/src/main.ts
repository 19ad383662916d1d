/**
 * `pnpm demo`: runs the example offline, or against the sidecar when `RUNTIME_URL` is set
 * (`RUNTIME_API_KEY` for a sidecar with keys).
 */
import { runExample } from './run-example.js';

const url = process.env['RUNTIME_URL'];
const key = process.env['RUNTIME_API_KEY'];
await runExample({ ...(url === undefined || url === '' ? {} : { runtimeUrl: url }), ...(key === undefined || key === '' ? {} : { apiKey: key }) });
