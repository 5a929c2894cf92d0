// A real, certified OpenID Connect provider (the npm package oidc-provider) for the SSO tests:
// one confidential client using the authorization code flow with PKCE, its built-in login and
// consent pages (any password is accepted; the login name picks the account below), listening
// on loopback. Usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// Prints "ready" once it listens; ends on SIGTERM.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
// The accounts the tests sign in as: `sub` is the login name.
const accounts = {
  alice: { email: 'alice@example.org', email_verified: true, name: 'Alice Example' },
  bob: { email: 'bob@example.org', email_verified: true, name: 'Bob Example' },
  eve: { email: 'eve@example.org', email_verified: false, name: 'Eve Unverified' },
  mallory: { email: 'mallory@elsewhere.example', email_verified: true, name: 'Mallory Elsewhere' },
  ada: { email: 'ada@example.org', email_verified: true, name: 'Ada Admin' },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Otherwise the ID token carries only `sub`, and the email only userinfo.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  findAccount: async (ctx, id) => accounts[id] && {
    accountId: id,
    claims: async () => ({ sub: id, ...accounts[id] }),
  },
  cookies: { keys: ['changedesk tests only'] },
});
const server = provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
