#pragma once
// The soap flows' services as an HTTP listener serves them (adapters/http/server/
// mounted_service.hpp): POST an envelope to an operation's flow, GET path?wsdl for the WSDL;
// everything else as a Fault the journal keeps.

#include <memory>

#include "adapters/http/server/mounted_service.hpp"
#include "adapters/soap/source/soap_services.hpp"

namespace qiao::soap {

std::shared_ptr<const http::MountedService> make_soap_mount(SoapServices services);

}  // namespace qiao::soap
