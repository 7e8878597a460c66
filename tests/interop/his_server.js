// The HIS as its vendor's SOAP stack serves it, played by the npm `soap` package: the WSDL of
// examples/soap-registration, Register(inXml) → RegisterResult, both XML documents in strings.
//
//   node his_server.js WSDL_FILE
//
// Listens on an ephemeral loopback port and prints "listening PORT" once it accepts requests.
// DeptCode 9999 is answered with a Fault (Client / Sender), DeptCode 5555 after 3 seconds (for
// callers' timeouts); any other department registers the patient. Each request's envelope is
// logged to stderr as "request <one line of XML>".
'use strict';
const fs = require('fs');
const http = require('http');
const soap = require('soap');

const departments = { '0101': '内科', '0203': '儿科' };
let serial = 0;

function field(xml, name) {
  const match = new RegExp('<' + name + '>([^<]*)</' + name + '>').exec(xml || '');
  return match ? match[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : '';
}

function escapeText(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function register(args, callback, headers, req) {
  const dept = field(args.inXml, 'DeptCode');
  const patient = field(args.inXml, 'PatientID');
  if (dept === '9999') {
    const soap12 = /soap\+xml/.test((req && req.headers['content-type']) || '');
    throw soap12
      ? { Fault: { Code: { Value: 'soap:Sender', Subcode: { Value: 'his:NoSuchDept' } }, Reason: { Text: 'no department 9999' }, statusCode: 400 } }
      : { Fault: { faultcode: 'soap:Client', faultstring: 'no department 9999', statusCode: 500 } };
  }
  const answer = () => {
    serial += 1;
    const name = departments[dept];
    const response = name
      ? '<Response><ResultCode>0</ResultCode><ResultMsg>OK</ResultMsg><RegNo>R' + String(serial).padStart(6, '0') +
        '</RegNo><QueueNo>' + serial + '</QueueNo><DeptName>' + name + '</DeptName><PatientID>' + escapeText(patient) +
        '</PatientID></Response>'
      : '<Response><ResultCode>1</ResultCode><ResultMsg>department ' + escapeText(dept) + ' has no clinic today</ResultMsg></Response>';
    callback({ RegisterResult: response });
  };
  if (dept === '5555') setTimeout(answer, 3000);
  else answer();
}

const service = {
  HisService: {
    HisServiceSoap: { Register: register },
    HisServiceSoap12: { Register: register },
  },
};

const wsdl = fs.readFileSync(process.argv[2], 'utf8');
const server = http.createServer((req, res) => {
  res.statusCode = 404;
  res.end();
});
server.listen(0, '127.0.0.1', () => {
  const soapServer = soap.listen(server, '/HisService.asmx', service, wsdl);
  soapServer.log = (type, data) => {
    if (type === 'received') process.stderr.write('request ' + String(data).replace(/\n/g, ' ') + '\n');
  };
  console.log('listening ' + server.address().port);
});
