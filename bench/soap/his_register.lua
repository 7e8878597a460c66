-- wrk script: the HIS simulator's Register over SOAP 1.1, as an .asmx client sends it: the
-- request document escaped in a string, the answer too.
wrk.method = "POST"
wrk.body = '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' ..
  '<soap:Body><Register xmlns="http://tempuri.org/"><inXml>&lt;Request&gt;&lt;PatientID&gt;P001&lt;/PatientID&gt;' ..
  '&lt;DeptCode&gt;0101&lt;/DeptCode&gt;&lt;/Request&gt;</inXml></Register></soap:Body></soap:Envelope>'
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '"http://tempuri.org/Register"'
