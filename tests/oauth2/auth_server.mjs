// A real OpenID Connect authorization server for the tests (npm oidc-provider):
// one public native client, PKCE required, refresh tokens rotated (a spent one
// presented again revokes the whole grant), short-lived access tokens.
// Usage: node auth_server.mjs PORT ACCESS_TOKEN_SECONDS [EVENTS_FILE]
// Prints "ready <issuer>" on stdout once it listens on 127.0.0.1:PORT. With
// EVENTS_FILE it appends a line there for each token response ("grant
// <grant_type>"), each refused grant ("grant-error <grant_type> <error>") and
// each revoked grant ("revoked"): what the tests count refreshes by.
//
// Like every oidc-provider it names itself in each authorization response (the
// RFC 9207 "iss" parameter) and says so in its metadata. For the tests of the
// client's check, GET /test/iss?mode=M changes what the browser is sent back:
// "" as is; "wrong" another issuer; "drop" no iss (the metadata still promises
// it); "unpromised" no iss and a metadata that does not promise it.
import { appendFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const accessTtl = Number(process.argv[3] || 3600);
const eventsFile = process.argv[4] || '';
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bccguard-test',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // RFC 8252 §7.3: any port of the loopback address is accepted.
      redirect_uris: ['http://127.0.0.1/'],
    },
    {
      // The mail servers' own client: it only asks whether a token is active
      // (RFC 7662 introspection), as Dovecot's oauth2 passdb does.
      client_id: 'mail-server',
      client_secret: 'mail-server-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  pkce: { required: () => true },
  rotateRefreshToken: true,
  scopes: ['openid', 'offline_access', 'email'],
  claims: { email: ['email'] },
  ttl: { AccessToken: accessTtl, RefreshToken: 14 * 24 * 3600, Grant: 14 * 24 * 3600 },
  features: {
    devInteractions: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: { enabled: true },
  },
  // Dovecot's oauth2 passdb reads the user name from the introspection answer.
  extraTokenClaims: async (_ctx, token) => (
    token.kind === 'AccessToken' ? { username: token.accountId } : undefined
  ),
  async findAccount(_ctx, id) {
    return { accountId: id, async claims() { return { sub: id, email: id }; } };
  },
});
let issMode = '';
provider.use(async (ctx, next) => {
  if (ctx.path === '/test/iss') {
    issMode = String(ctx.query.mode || '');
    ctx.body = { mode: issMode };
    return;
  }
  await next();
  if (ctx.path.endsWith('/.well-known/openid-configuration') && issMode === 'unpromised') {
    ctx.body = { ...ctx.body, authorization_response_iss_parameter_supported: false };
  }
  const location = ctx.response.get('Location');
  if (!issMode || !location) return;
  const target = new URL(location, issuer);
  if (target.origin === issuer) return; // a page of the server, not the answer
  if (!target.searchParams.has('code') && !target.searchParams.has('error')) return;
  if (issMode === 'wrong') target.searchParams.set('iss', 'http://127.0.0.1:1/elsewhere');
  else target.searchParams.delete('iss');
  ctx.response.set('Location', target.href);
});
function note(line) {
  if (eventsFile) appendFileSync(eventsFile, `${Date.now() / 1000} ${line}\n`);
}
provider.on('grant.success', (ctx) => note(`grant ${ctx.oidc.params.grant_type}`));
provider.on('grant.error', (ctx, err) => note(
  `grant-error ${ctx.oidc.params?.grant_type} ${err.error}`,
));
provider.on('grant.revoked', () => note('revoked'));
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
