#pragma once
// Reading a Content-Type header value ("application/soap+xml; charset=GBK; action=\"urn:x\""):
// shared by the servers and clients of the HTTP-based adapters.

#include <string>
#include <string_view>

namespace qiao::http {

// The media type without its parameters, trimmed: "application/soap+xml".
std::string_view media_type(std::string_view content_type);

// The value of parameter `name` (matched without regard to case), unquoted; empty when absent.
// A quoted value holds no ';' in practice (charsets, SOAP actions are URIs).
std::string content_type_parameter(std::string_view content_type, std::string_view name);

}  // namespace qiao::http
