#pragma once
// Renders like another renderer, but with a status of its own when one is given: 408 and 431
// have no error kind, and a SOAP fault for an unknown path is still a 404.

#include "core/engine.hpp"

namespace qiao::http {

class FixedStatusRenderer final : public ErrorRenderer {
 public:
  FixedStatusRenderer(const ErrorRenderer& inner, int status) : inner_(inner), status_(status) {}
  void render(const Error& error, Outcome& outcome) const override {
    inner_.render(error, outcome);
    if (status_) outcome.status = status_;
  }

 private:
  const ErrorRenderer& inner_;
  int status_;
};

}  // namespace qiao::http
