#pragma once
// An MLLP endpoint's reply is an HL7 acknowledgement; with check_ack its outcome decides the
// call's: AA/CA succeed, AE/AR/CE/CR become ErrorKind::upstream errors a flow can route on.

#include <string>

#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::tcp {

// `reply` is the decoded ACK (hl7v2 Value shape). The error message reads
// "HL7 AE: <MSA-3, else ERR-8, else ERR-3 text>", so a flow can match "HL7 AE" or "HL7 AR".
// A reply without MSA-1 is an upstream error too ("not an HL7 acknowledgement").
Status check_hl7_ack(const Value& reply);

}  // namespace qiao::tcp
