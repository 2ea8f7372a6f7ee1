import { CreateKeyCommand, ListKeysCommand, type KMSClient } from '@aws-sdk/client-kms';
import { client, start, TEST_CREDENTIALS, type Started } from './harness';

const WIRE_HEADERS = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' };

async function post(url: string, headers: Record<string, string>, body = '{}') {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as { __type?: string; message?: string } };
}

/** Changes the body after the SDK signed it (the deserialize step runs after signing). */
function tamperBody(kms: KMSClient): void {
  kms.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: string };
      request.body = JSON.stringify({ Limit: 7 });
      return next(args);
    },
    { step: 'deserialize', name: 'tamperBody' },
  );
}

describe('SigV4 header checks without configured credentials', () => {
  let t: Started;
  beforeAll(async () => {
    t = await start();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('accepts any well-formed signature from the SDK', async () => {
    const other = client(t.server.url, { credentials: { accessKeyId: 'ANYKEY', secretAccessKey: 'any' } });
    await expect(other.send(new ListKeysCommand({}))).resolves.toMatchObject({ Truncated: false });
    other.destroy();
  });

  it('answers a request without Authorization with MissingAuthenticationTokenException', async () => {
    const res = await post(t.server.url, { ...WIRE_HEADERS, 'x-amz-date': '20260101T000000Z' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it.each([
    ['Bearer abc', 'IncompleteSignatureException'],
    ['AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request, SignedHeaders=host', 'IncompleteSignatureException'],
    ['AWS4-HMAC-SHA256 Credential=AKID/us-east-1/kms, SignedHeaders=host, Signature=ab', 'IncompleteSignatureException'],
    ['AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab', 'InvalidSignatureException'],
  ])('answers Authorization %j with %s', async (authorization, type) => {
    const res = await post(t.server.url, { ...WIRE_HEADERS, 'x-amz-date': '20260101T000000Z', authorization });
    expect(res.status).toBe(400);
    expect(res.body.__type).toBe(type);
    expect(res.body.message).toBeTruthy();
  });

  it('answers an unknown X-Amz-Target with UnknownOperationException', async () => {
    const res = await post(t.server.url, { ...WIRE_HEADERS, 'x-amz-target': 'TrentService.Encrypt' });
    expect(res.body.__type).toBe('UnknownOperationException');
    const res2 = await post(t.server.url, { ...WIRE_HEADERS, 'x-amz-target': 'DynamoDB_20120810.ListTables' });
    expect(res2.body.__type).toBe('UnknownOperationException');
  });
});

describe('SigV4 verification with configured credentials', () => {
  let t: Started;
  const lines: string[] = [];
  beforeAll(async () => {
    t = await start({ credentials: TEST_CREDENTIALS, log: (l) => lines.push(l) });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('accepts requests signed with the configured credentials', async () => {
    await expect(t.kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).resolves.toBeDefined();
  });

  it('rejects an unknown access key id with UnrecognizedClientException', async () => {
    const other = client(t.server.url, { credentials: { accessKeyId: 'AKIDWRONG', secretAccessKey: TEST_CREDENTIALS.secretAccessKey } });
    const err = await other.send(new ListKeysCommand({})).catch((e: unknown) => e as Error & { $metadata: { httpStatusCode?: number } });
    expect(err).toMatchObject({ name: 'UnrecognizedClientException' });
    expect(err.$metadata.httpStatusCode).toBe(400);
    other.destroy();
  });

  it('rejects a wrong secret with InvalidSignatureException', async () => {
    const other = client(t.server.url, { credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' } });
    const err = (await other.send(new ListKeysCommand({})).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.message).toMatch(/signature we calculated does not match/);
    other.destroy();
  });

  it('rejects a body changed after signing with InvalidSignatureException', async () => {
    const other = client(t.server.url);
    tamperBody(other);
    await expect(other.send(new ListKeysCommand({ Limit: 5 }))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    other.destroy();
  });

  it('rejects a signature made with another region than the one in the credential scope', async () => {
    const other = client(t.server.url);
    other.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        request.headers.authorization = request.headers.authorization!.replace('/us-east-1/', '/eu-west-1/');
        return next(args);
      },
      { step: 'deserialize', name: 'swapRegion' },
    );
    await expect(other.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    other.destroy();
  });

  it('never writes the secret key to its log', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(TEST_CREDENTIALS.secretAccessKey);
  });
});
