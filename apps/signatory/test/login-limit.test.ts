/**
 * Wrong passwords at POST /login are limited per client address (--max-auth-failures a minute): past the
 * limit a login is refused 429 before its password is compared, while a token already held keeps signing.
 */
import { TRANSACTION } from './payloads';
import { startHarness, VAULT_YAML, type Harness } from './harness';

const SK = 'edsk3REH79xaoCkNizrDo8cY4WYwEkrFLTAdjb1pjcP9yQora4qE3Y';
const PKH = 'tz1WGcYos3hL7GXYXjKrMnSFdkT7FyXnFBvf';
const PASSWORD = 'Correct-Horse-Battery-1';
const YAML = (user: string) => `${VAULT_YAML}
server:
  jwt:
    users:
      ${user}: {password: "${PASSWORD}", secret: "Zk3!mQ9#vR2$wT7%yU4^aB8&cD1*eF5("}
tezos:
  ${PKH}:
    allow:
      generic: [transaction]
`;

async function login(h: Harness, headers: Record<string, string>) {
  const r = await fetch(`${h.url}/login`, { method: 'POST', headers });
  return { status: r.status, text: await r.text(), retryAfter: r.headers.get('retry-after') };
}

describe('failed logins per client address', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ yaml: YAML('alice'), keys: [{ secret: SK }], maxAuthFailures: 3 });
  });
  afterAll(() => h.close());

  it('three wrong passwords, then 429 with Retry-After even for the right one; a held token still signs', async () => {
    const token = (await login(h, { username: 'alice', password: PASSWORD })).text;
    for (const username of ['alice', 'alice', 'mallory'])
      expect(await login(h, { username, password: 'guess' })).toMatchObject({ status: 401, text: 'Access denied' });
    const refused = await login(h, { username: 'alice', password: PASSWORD });
    expect(refused).toMatchObject({
      status: 429,
      text: expect.stringMatching(/^too many failed logins from \S+ \(3 a minute\); retry in \d+ s$/),
    });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    const signed = await fetch(`${h.url}/keys/${PKH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, username: 'alice' },
      body: `"${TRANSACTION}"`,
    });
    expect(signed.status).toBe(200);
    const counted = await h.deps.metrics.registry.getSingleMetricAsString('authentication_failure_total');
    expect(counted).toMatch(/authentication_failure_total\{status="429",auth_method="jwt_login",client_ip="[^"]+"\} 1$/m);
  });
});

describe('what a login limit does not count', () => {
  it('missing headers are not guesses; --max-auth-failures 0 turns the limit off', async () => {
    const h = await startHarness({ yaml: YAML('bob'), keys: [{ secret: SK }], maxAuthFailures: 0 });
    try {
      for (let i = 0; i < 5; i++) expect((await login(h, { username: 'bob', password: 'guess' })).status).toBe(401);
      expect((await login(h, { username: 'bob', password: PASSWORD })).status).toBe(201);
    } finally {
      await h.close();
    }
    const limited = await startHarness({ yaml: YAML('bob'), keys: [{ secret: SK }], maxAuthFailures: 1 });
    try {
      for (let i = 0; i < 5; i++) expect((await login(limited, { username: 'bob' })).text).toBe('username and password required');
      expect((await login(limited, { username: 'bob', password: PASSWORD })).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});
