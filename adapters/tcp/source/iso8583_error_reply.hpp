#pragma once
// The answer an ISO 8583 source gives for a request its flow could not serve: the dialect's
// response skeleton (MTI + 10, the echoed fields, the TPDU turned round) with field 39 saying
// why. A terminal or switch hears at once and can show the code, instead of waiting out its
// timeout and sending a reversal for a sale the bank never saw. A flow that wants other codes
// routes the error and replies itself.

#include <string>

#include "core/error.hpp"
#include "core/value.hpp"

namespace qiao::iso8583 {
struct Spec;
}

namespace qiao::tcp {

// The packed answer, field 39 as the dialect's error_codes say for the failure's kind (by default
// 30 format error when the request was refused, 91 issuer or switch inoperative when a system
// behind the gateway could not be reached or did not answer in time, 96 system malfunction). A
// request the codec refused is answered from what could be read of it. Empty when there is none
// to give: bytes without a readable MTI (the sender gets the connection closed, as the bytes say
// nothing to answer to) or a message that is itself a response.
std::string iso8583_error_reply(const iso8583::Spec& spec, const Buffer& raw, const Error& failure);

}  // namespace qiao::tcp
