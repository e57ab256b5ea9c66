import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { Config } from '../../platform/config';
import { createDataConverter } from '../../platform/data-converter';

/** A workflow's history with every payload decrypted in place: what Temporal stores, in plain words. */
export async function decodedHistory(client: Client, config: Config, workflowId: string): Promise<temporal.api.history.v1.IHistory> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payloads: temporal.api.common.v1.IPayload[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object' || node instanceof Uint8Array) return;
    const o = node as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') payloads.push(o as temporal.api.common.v1.IPayload);
    else for (const v of Object.values(o)) walk(v);
  };
  walk(history.events);
  // Payloads the worker's core wrote itself (patch markers) were never encrypted: they stay as they are.
  const decoded = await createDataConverter({ ...config, codec: { ...config.codec, acceptPlaintext: true } }).payloadCodecs![0]!.decode(payloads);
  payloads.forEach((p, i) => Object.assign(p, { metadata: decoded[i]!.metadata, data: decoded[i]!.data }));
  return history;
}

/** Every decrypted payload of a workflow's history, and the rest of its events, as text to search. */
export async function historyText(client: Client, config: Config, workflowId: string): Promise<string> {
  const history = await decodedHistory(client, config, workflowId);
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object' || node instanceof Uint8Array) return;
    const o = node as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata) texts.push(Buffer.from(o.data).toString('utf8'));
    else for (const v of Object.values(o)) walk(v);
  };
  walk(history.events);
  return `${texts.join('\n')}\n${JSON.stringify(history.events)}`;
}
