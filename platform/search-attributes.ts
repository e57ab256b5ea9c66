import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** Each search attribute type as the server's enum and as `temporal operator` spells it. */
const TYPES: Record<string, { indexed: temporal.api.enums.v1.IndexedValueType; cli: string }> = {
  [SearchAttributeType.TEXT]: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_TEXT, cli: 'Text' },
  [SearchAttributeType.KEYWORD]: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, cli: 'Keyword' },
  [SearchAttributeType.INT]: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_INT, cli: 'Int' },
  [SearchAttributeType.DOUBLE]: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE, cli: 'Double' },
  [SearchAttributeType.BOOL]: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_BOOL, cli: 'Bool' },
  [SearchAttributeType.DATETIME]: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME, cli: 'Datetime' },
  [SearchAttributeType.KEYWORD_LIST]: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST, cli: 'KeywordList' },
};

/** Every custom search attribute Tourniquet uses, as the operator API's `addSearchAttributes` takes them. */
export function searchAttributeTypes(): Record<string, temporal.api.enums.v1.IndexedValueType> {
  return Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, TYPES[key.type]!.indexed]));
}

/**
 * The custom search attributes a namespace of an existing cluster lacks (or has with another
 * type), each as the command that creates it. Without them listing incidents and clocks fails,
 * and a block's expiry workflow cannot start, so the process refuses to run rather than half-run.
 */
export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return SEARCH_ATTRIBUTE_KEYS.filter((key) => customAttributes?.[key.name] !== TYPES[key.type]!.indexed).map(
    (key) => `temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type ${TYPES[key.type]!.cli}`,
  );
}
