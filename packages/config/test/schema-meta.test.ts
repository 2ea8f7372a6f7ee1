import Ajv from 'ajv';
import { AWS_WATERMARK_CONFIG_SCHEMA, AWSKMS_CONFIG_SCHEMA, CONFIG_SCHEMA, POSTGRES_WATERMARK_CONFIG_SCHEMA } from '../src/schema';

// The runtime validator skips meta-schema validation for start-up time; this is where it happens.
describe('config schemas', () => {
  it.each([
    ['CONFIG_SCHEMA', CONFIG_SCHEMA],
    ['AWSKMS_CONFIG_SCHEMA', AWSKMS_CONFIG_SCHEMA],
    ['AWS_WATERMARK_CONFIG_SCHEMA', AWS_WATERMARK_CONFIG_SCHEMA],
    ['POSTGRES_WATERMARK_CONFIG_SCHEMA', POSTGRES_WATERMARK_CONFIG_SCHEMA],
  ])('%s is a valid JSON Schema that strict ajv compiles', (_name, schema) => {
    const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('a schema with a wrong keyword value fails the meta-schema check', () => {
    const ajv = new Ajv({ strict: true });
    expect(ajv.validateSchema({ type: 'mapping' })).toBe(false);
  });
});
