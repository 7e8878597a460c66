-- wrk script: the gateway's own SOAP service (generated WSDL), as a third-party platform calls it;
-- each request is answered from the HIS WebService, so it is two SOAP exchanges.
wrk.method = "POST"
wrk.body = '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' ..
  '<soap:Body><Register xmlns="http://qiao.example/registration/"><patientId>P001</patientId>' ..
  '<deptCode>0101</deptCode></Register></soap:Body></soap:Envelope>'
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '"http://qiao.example/registration/Register"'
