#pragma once
// How HTTP sources and the admin API answer errors: a status from the error kind and a JSON
// body of stable shape, carrying the message id an operator can look up:
//   {"error":{"code":"bad_input","message":"json: invalid value at byte 17"},"messageId":"…"}

#include "core/engine.hpp"

namespace qiao::http {

int status_for(ErrorKind kind);

class HttpErrorRenderer final : public ErrorRenderer {
 public:
  void render(const Error& error, Outcome& outcome) const override;
};

}  // namespace qiao::http
