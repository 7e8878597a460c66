#pragma once
// SOAP 1.1 and 1.2 envelopes, read and written for the SOAP source and endpoint. The body's
// element is handed over as a Value with local names (prefixes and xmlns declarations are
// SOAP's business, not the flow's), decoded by the XML codec so `nested=` strings holding XML
// come out as trees, and written by it so they go back escaped exactly once.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "codecs/xml/xml_codec.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::soap {

enum class Version { v1_1, v1_2 };

inline constexpr std::string_view soap11_namespace = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view soap12_namespace = "http://www.w3.org/2003/05/soap-envelope";

std::string_view envelope_namespace(Version version);
std::string_view version_name(Version version);  // "1.1", "1.2"
// "text/xml; charset=utf-8" for 1.1; "application/soap+xml; charset=utf-8; action=\"…\"" for 1.2
// (the action only when not empty). `charset` empty means UTF-8.
std::string content_type(Version version, std::string_view charset, std::string_view action);

// The SOAPAction .asmx and most stacks use when a WSDL states none: the namespace and the
// operation, with a '/' between unless the namespace ends in one ("http://tempuri.org/Register").
std::string default_action(std::string_view namespace_uri, std::string_view operation);

// A fault in either version's terms. Codes are local names: Client, Server, VersionMismatch,
// MustUnderstand (1.1); Sender, Receiver, VersionMismatch, MustUnderstand, DataEncodingUnknown (1.2).
struct Fault {
  std::string code;
  std::string subcode;  // 1.2 only: the Subcode's value as written (e.g. "app:NoSchedule")
  std::string reason;   // faultstring / Reason Text
  std::string actor;    // faultactor / Role
  Value detail;         // the detail element's content, local names; null when absent
};

struct Envelope {
  Version version = Version::v1_1;
  Value header;                   // the Header's content with local names; null when absent
  std::string element;            // the Body's first element, local name ("Register", "Fault")
  std::string element_namespace;  // its namespace URI, resolved through the xmlns declarations
  Value content;                  // that element's content with local names: object, string or null
  std::optional<Fault> fault;     // set when the element is the envelope's Fault
};

// A document that is not a usable envelope. `version_mismatch`: the root is an Envelope in a
// namespace neither version uses (the fault code is then VersionMismatch, not Client/Sender).
struct EnvelopeError {
  Error error;
  bool version_mismatch = false;
};

// `options` are the XML codec's decode options: nested= (local names of elements holding XML
// text, decoded in place), arrays=, encoding= for documents without a declaration, limits.
std::variant<Envelope, EnvelopeError> read_envelope(const Buffer& bytes, const xml::Options& options);

// What the body element of a written envelope is made of.
struct BodyElement {
  std::string name;           // local name, e.g. "Register" or "RegisterResponse"
  std::string namespace_uri;  // empty: no namespace
  // true: <Register xmlns="ns"><input>… (children in the namespace too, as .asmx expects);
  // false: <ns:Register xmlns:ns="ns"><input>… (children unqualified, as many Java stacks expect).
  bool qualified = true;
  Value content;  // object (children in key order), string (text), or null (empty)
  // Children written first, in this order, when present: the sequence the service's schema
  // declares (a Lua table has no order of its own, and .NET and Java stacks read a sequence in
  // order). The others follow in key order.
  std::span<const std::string> order;
};

// The envelope's bytes in `charset` (empty: UTF-8), its declaration naming it. `header` is the
// SOAP Header's content ({ Security = {…} }), null for none; its elements are written as given
// (keys may carry prefixes declared in `@xmlns:p` attributes). `options` are the XML codec's
// encode options: nested= and cdata= apply to the body's children. Errors are ErrorKind::flow:
// the Value came from a flow.
Expected<std::string> write_envelope(Version version, const Value& header, const BodyElement& body,
                                     const xml::Options& options, std::string_view charset);

// A Fault envelope in UTF-8. The detail's keys must be element names.
std::string write_fault(Version version, const Fault& fault);

// The HTTP status a fault is sent with (1.1 always 500; 1.2 Sender 400); whether it is the
// sender's (Client / Sender) or the receiver's (Server / Receiver) is core's is_sender_fault.
int fault_status(Version version, bool sender);

}  // namespace qiao::soap
