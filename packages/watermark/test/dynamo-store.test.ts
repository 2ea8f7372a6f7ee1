import { startDynalite, type DynaliteServer } from '@signatory-ts/dev-servers';
import { DynamoWatermarkStore } from '../src';
import { describeWatermarkStore } from './store-conformance';

let dynalite: DynaliteServer;
let n = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.stop();
});

// a fresh table per test: an empty store
describeWatermarkStore('DynamoWatermarkStore', () =>
  DynamoWatermarkStore.open({
    table: `conformance-${++n}`,
    region: 'us-east-1',
    endpoint: dynalite.endpoint,
    accessKeyId: 'test',
    secretAccessKey: 'test',
    createTable: true,
    timeoutMs: 5000,
  }),
);
