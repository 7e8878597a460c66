#include "core/idempotency_guard.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/delivery/request_bytes.hpp"
#include "core/engine.hpp"
#include "core/flow/flow.hpp"
#include "core/flow/flow_run.hpp"
#include "core/store/store.hpp"

namespace qiao {

namespace asio = boost::asio;

namespace {

// A repeat whose first message runs on another node asks the store again this often.
constexpr auto poll_interval = std::chrono::milliseconds(100);

std::string local_key_of(const std::string& flow_id, const std::string& key) {
  std::string local = flow_id;
  local += '\0';
  local += key;
  return local;
}

}  // namespace

asio::awaitable<IdempotencyGuard::LocalTurn> IdempotencyGuard::hold_locally(const std::string& local_key) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(LocalTurn)>(
      [this, &local_key](auto handler) {
        auto executor = asio::get_associated_executor(handler);
        std::unique_lock lock(mutex_);
        auto [holder, fresh] = holders_.try_emplace(local_key);
        if (fresh) {
          lock.unlock();
          asio::post(executor, [handler = std::move(handler)]() mutable { std::move(handler)(LocalTurn{true, {}}); });
          return;
        }
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        holder->second.waiters.push_back([shared, executor](std::optional<IdempotencyAnswer> answer) {
          asio::post(executor, [shared, answer = std::move(answer)]() mutable {
            (*shared)(LocalTurn{false, std::move(answer)});
          });
        });
      },
      asio::use_awaitable);
}

void IdempotencyGuard::release(const std::string& flow_id, const std::string& key,
                               std::optional<IdempotencyAnswer> remembered) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mutex_);
    auto it = holders_.find(local_key_of(flow_id, key));
    if (it == holders_.end()) return;
    waiters = std::move(it->second.waiters);
    holders_.erase(it);
  }
  for (Waiter& waiter : waiters) waiter(remembered);
}

asio::awaitable<Expected<IdempotencyClaimResult>> IdempotencyGuard::claim(IdempotencyClaim claim) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Expected<IdempotencyClaimResult>)>(
      [this, &claim](auto handler) {
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        store_->claim(std::move(claim), [shared, executor](Expected<IdempotencyClaimResult> result) {
          asio::post(executor, [shared, result = std::move(result)]() mutable { (*shared)(std::move(result)); });
        });
      },
      asio::use_awaitable);
}

asio::awaitable<Expected<IdempotencyGuard::Admission>> IdempotencyGuard::admit(FlowRun& run,
                                                                               const IdempotencySpec& spec) {
  const std::string& flow_id = run.flow.id;
  if (!store_)
    co_return Error{ErrorKind::unavailable,
                    "flow '" + flow_id + "' has idempotency, which needs a store (store.url in qiao.yaml)"};
  auto evaluated = co_await run.lua(spec.key);
  if (!evaluated) co_return Error{evaluated.error().kind, "idempotency key: " + evaluated.error().message};
  Admission admission;
  admission.key = evaluated->values.empty() ? std::string() : key_text(evaluated->values[0]);
  if (admission.key.empty())
    co_return Error{ErrorKind::bad_input, "the message has no idempotency key (" + spec.key_source + " is empty)"};

  const std::string local_key = local_key_of(flow_id, admission.key);
  for (;;) {
    LocalTurn turn = co_await hold_locally(local_key);
    if (turn.holding) break;
    if (turn.answer) {
      admission.answer = std::move(turn.answer);
      co_return admission;
    }
    // The first released the key (its flow failed in a way a retry may cure): this one tries.
  }

  const auto deadline = std::chrono::steady_clock::now() + spec.wait;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    IdempotencyClaim claim_of_key;
    claim_of_key.flow_id = flow_id;
    claim_of_key.key = admission.key;
    claim_of_key.message_id = run.msg.id;
    claim_of_key.now = std::chrono::system_clock::now();
    claim_of_key.expires_at = claim_of_key.now + spec.ttl;
    claim_of_key.lease = spec.lease;
    auto result = co_await claim(std::move(claim_of_key));
    if (!result) {
      release(flow_id, admission.key, std::nullopt);
      co_return Error{ErrorKind::unavailable, "cannot claim the idempotency key: " + result.error().message};
    }
    switch (result->state) {
      case IdempotencyClaimResult::State::claimed: co_return admission;
      case IdempotencyClaimResult::State::answered:
        release(flow_id, admission.key, result->answer);
        admission.answer = std::move(result->answer);
        co_return admission;
      case IdempotencyClaimResult::State::pending: break;
    }
    if (std::chrono::steady_clock::now() + poll_interval > deadline) {
      release(flow_id, admission.key, std::nullopt);
      co_return Error{
          ErrorKind::unavailable,
          "message " + result->holder + " with the same idempotency key is still being processed; try again later"};
    }
    timer.expires_after(poll_interval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

std::optional<IdempotencyAnswer> IdempotencyGuard::answer_to_remember(const Outcome& outcome) {
  // A peer's refusal (a bank's decline as HTTP 4xx, an HL7 AR) is its answer to this payment and
  // stays one. Everything else that failed may be cured by sending again: a peer down or slow, a
  // bug in the flow, and also a message the gateway refused before any peer saw it (a failed
  // check): the kiosk corrects the amount and sends the same order number again.
  if (outcome.error && !outcome.error->refused_by_peer) return std::nullopt;
  IdempotencyAnswer answer;
  answer.message_id = outcome.message_id;
  answer.status = outcome.status;
  answer.content_type = outcome.content_type;
  CallRequest headers;
  headers.headers = outcome.headers;
  answer.headers = encode_request(headers);
  answer.body = outcome.body;
  return answer;
}

void IdempotencyGuard::give_again(const IdempotencyAnswer& answer, Outcome& outcome) {
  outcome.status = answer.status;
  outcome.content_type = answer.content_type;
  outcome.body = answer.body;
  // A row this build cannot read gives the answer without its headers rather than no answer.
  if (auto headers = decode_request(answer.headers)) outcome.headers = std::move(headers->headers);
}

}  // namespace qiao
