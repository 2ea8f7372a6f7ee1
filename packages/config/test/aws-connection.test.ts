import { awsClientConnection } from '@signatory-ts/config';

describe('awsClientConnection: the connection keys as an AWS SDK client takes them', () => {
  it('gives region, endpoint and the credentials, with the session token when there is one', () => {
    expect(
      awsClientConnection({
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:4566',
        accessKeyId: 'AKID',
        secretAccessKey: 'S',
        sessionToken: 'T',
      }),
    ).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4566',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'S', sessionToken: 'T' },
    });
    expect(awsClientConnection({ accessKeyId: 'AKID', secretAccessKey: 'S' })).toEqual({
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'S' },
    });
  });

  it("leaves out what is not set, so the SDK's chain supplies it: no credentials without both keys", () => {
    expect(awsClientConnection({})).toEqual({});
    expect(awsClientConnection({ accessKeyId: 'AKID', sessionToken: 'T' })).toEqual({});
    expect(Object.keys(awsClientConnection({ region: 'eu-west-1' }))).toEqual(['region']);
  });
});
