import { MemoryWatermarkStore } from '../src';
import { describeWatermarkStore } from './store-conformance';

describeWatermarkStore('MemoryWatermarkStore', async () => new MemoryWatermarkStore());
