/**
 * Loaded by path into workflow code as well as the clients (Temporal's `failureConverterPath`):
 * failure messages and stack traces can quote an alert, so they travel as encoded attributes,
 * which the payload codec encrypts like any payload.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
