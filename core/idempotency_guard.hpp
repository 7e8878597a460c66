#pragma once
// Lets one message per business key run a flow with `idempotency:`; its repeats get its answer.
// A repeat on this node waits for the first in memory (32 kiosks retrying one payment at once
// run it once); the store's claim row settles it between nodes and across restarts.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/flow/idempotency.hpp"
#include "core/store/idempotency.hpp"

namespace qiao {

class FlowRun;
class Store;
struct Outcome;

class IdempotencyGuard {
 public:
  explicit IdempotencyGuard(Store* store) : store_(store) {}

  struct Admission {
    std::string key;                          // the message's key, claimed by it unless `answer`
    std::optional<IdempotencyAnswer> answer;  // a repeat: give this again and do not run the flow
  };
  // Evaluates the key on the decoded message and claims it. An error (no store, no key, the
  // store failing, the first message still running elsewhere after spec.wait) is the message's.
  boost::asio::awaitable<Expected<Admission>> admit(FlowRun& run, const IdempotencySpec& spec);

  // What a claimed key's settlement remembers of the outcome: its answer when the outcome was a
  // success or a peer's refusal; none (release the key) when sending again may cure it.
  static std::optional<IdempotencyAnswer> answer_to_remember(const Outcome& outcome);
  static void give_again(const IdempotencyAnswer& answer, Outcome& outcome);

  // Once the settlement of a key this message claimed is durable, or failed (`remembered`
  // none): repeats waiting on this node get the answer, or try to claim the key themselves.
  void release(const std::string& flow_id, const std::string& key, std::optional<IdempotencyAnswer> remembered);

 private:
  using Waiter = std::function<void(std::optional<IdempotencyAnswer>)>;
  struct Holder {
    std::vector<Waiter> waiters;
  };
  boost::asio::awaitable<Expected<IdempotencyClaimResult>> claim(IdempotencyClaim claim);
  struct LocalTurn {
    bool holding = false;                     // this message holds the key on this node now
    std::optional<IdempotencyAnswer> answer;  // else: the holder's answer; none: it released the key
  };
  // Takes the key on this node, or waits for the message holding it to settle.
  boost::asio::awaitable<LocalTurn> hold_locally(const std::string& local_key);

  Store* store_;
  std::mutex mutex_;
  std::map<std::string, Holder> holders_;  // flow id '\0' key → repeats waiting on this node
};

}  // namespace qiao
