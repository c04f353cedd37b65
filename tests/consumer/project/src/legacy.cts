// A CommonJS consumer: require() resolves the CJS build and its .d.cts types.
import sdk = require('@latih/sdk');

const client: sdk.LatihClient = sdk.createLatihClient({
  baseUrl: 'http://localhost:3000',
  clientId: 'a',
  clientSecret: 'b',
});
export const query: () => Promise<sdk.TWhoAmI> = () => client.auth.whoami.query();
