// Calls one operation of a SOAP service with the npm `soap` package, as a third-party platform
// would: the client is built from the WSDL the service publishes.
//
//   node soap_client.js WSDL_URL OPERATION ARGS_JSON [--soap12] [--endpoint URL]
//
// Prints one JSON line: {"result": …, "request": "<the envelope sent>"} (exit 0), or for a SOAP
// Fault {"fault": …, "status": HTTP status} (exit 2), or {"error": "…"} (exit 1).
'use strict';
const soap = require('soap');

async function main() {
  const [wsdlUrl, operation, argsJson, ...flags] = process.argv.slice(2);
  const soap12 = flags.includes('--soap12');
  const endpointAt = flags.indexOf('--endpoint');
  const client = await soap.createClientAsync(wsdlUrl, { forceSoap12Headers: soap12 });
  if (endpointAt >= 0) client.setEndpoint(flags[endpointAt + 1]);
  const method = client[operation + 'Async'];
  if (!method) throw new Error('the WSDL has no operation ' + operation);
  try {
    const [result] = await method.call(client, JSON.parse(argsJson), { timeout: 10000 });
    console.log(JSON.stringify({ result, request: client.lastRequest }));
  } catch (err) {
    const fault = err && err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
    if (!fault) throw err;
    console.log(JSON.stringify({ fault, status: err.response && err.response.status }));
    process.exit(2);
  }
}

main().catch((err) => {
  console.log(JSON.stringify({ error: String((err && err.message) || err) }));
  process.exit(1);
});
