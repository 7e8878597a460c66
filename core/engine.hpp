#pragma once
// The engine runs one message through one flow: decode, steps, reply, encode; and accounts for
// it (metrics, business log, journal). Sources call it and turn the Outcome into their protocol.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/flow/journal.hpp"
#include "core/idempotency_guard.hpp"
#include "core/message.hpp"
#include "core/store/deliveries.hpp"
#include "core/store/store.hpp"

namespace qiao {

class DeliveryService;
class Flow;
class FlowRun;
class Generation;
class Metrics;
class Store;

// The final answer to the sender, success or failure, in the source's protocol terms.
struct Outcome {
  std::string message_id;
  std::optional<Error> error;  // set when the flow failed; status and body then say so
  int status = 200;
  std::string body;
  std::string content_type;
  Object headers;
};

// Each source turns errors into its own protocol: HTTP 400 + JSON, an HL7 AE, a SOAP Fault …
class ErrorRenderer {
 public:
  virtual ~ErrorRenderer() = default;
  virtual void render(const Error& error, Outcome& outcome) const = 0;  // sets status, body, content_type
  // Called when the flow succeeded, before the outcome is accounted: a source whose protocol
  // answers on the flow's behalf (MLLP with ack: auto) puts that answer in the body here, so the
  // journal holds what the sender got.
  virtual void accepted(Outcome& outcome) const { (void)outcome; }
  // False when the sender never gets the flow's reply (MLLP with ack: auto or none): the flow's
  // default reply, the message body, is then neither copied nor encoded. A reply script still runs,
  // and can still fail the message.
  virtual bool sends_flow_reply() const { return true; }
  // Called when a flow with `accept: stored` has stored the message: the sender hears that it
  // is taken (HTTP 202 with the message id, by default; an HL7 AA over MLLP).
  virtual void stored(Outcome& outcome) const;
};

class Engine {
 public:
  Engine(Metrics& metrics, Store* store) : metrics_(metrics), store_(store), idempotency_(store) {}
  // Where `send` steps' deliveries are stored once a flow succeeded; none without a store.
  void deliver_with(DeliveryService* deliveries) { deliveries_ = deliveries; }

  // `generation` is held until the message is done: it finishes on the flows it started with.
  boost::asio::awaitable<Outcome> process(std::shared_ptr<const Generation> generation, const Flow& flow, Message msg,
                                          const ErrorRenderer& errors);

  // Accounts for a request no flow took (unknown path, bad framing …); returns the answer.
  Outcome reject(const Message& msg, Error error, const ErrorRenderer& errors);

  Metrics& metrics() { return metrics_; }

 private:
  // `accept: stored`: decodes the message (bad input is refused now, in the sender's protocol),
  // stores it in the flow's inbound queue and answers; the flow runs from there.
  boost::asio::awaitable<Outcome> accept_into_queue(std::shared_ptr<const Generation> generation, const Flow& flow,
                                                    Message msg, const ErrorRenderer& errors);
  // After the flow: stores its deliveries and settles its idempotency key, durably, before the
  // sender is answered; a failure to store turns a success into an error.
  boost::asio::awaitable<void> store_results(FlowRun& run, const std::string* claimed_key, Outcome& outcome,
                                             const ErrorRenderer& errors);
  boost::asio::awaitable<Status> store_durably(std::vector<Delivery> deliveries,
                                               std::optional<IdempotencySettle> settle);
  // `repeat_of`: the message whose answer this one got again; empty for a message that ran.
  // `journal`: what the journal keeps of it (the flow's level); nothing for JournalLevel::none.
  // `keys`: the message's business keys for its row; `steps`: its steps as they ran.
  void account(const Message& msg, const Outcome& outcome, const std::string& repeat_of, JournalLevel journal,
               std::vector<JournalKey> keys, std::vector<JournalStep> steps = {});
  // Suspends the message (never its worker) until the journal's queue has room again.
  boost::asio::awaitable<void> wait_for_journal_room();
  // Evaluates the flow's journal keys on the message once it ran; one that fails or is not a
  // key is logged, counted and left out.
  boost::asio::awaitable<std::vector<JournalKey>> journal_keys(FlowRun& run);
  Metrics& metrics_;
  Store* store_;
  DeliveryService* deliveries_ = nullptr;
  IdempotencyGuard idempotency_;
};

}  // namespace qiao
