#pragma once
// The admin API's message browser over the journal:
//   GET  /api/messages?id=&flow=&outcome=&since=&until=&key.NAME=&limit=   search, newest first
//   GET  /api/messages/{id}          one message: its row, each step it went through, and each
//                                    delivery it made (queued, dead or delivered) with every attempt
//   POST /api/messages/{id}/replay   that message run again, as /api/messages/replay?id= does
// They read the store on the calling thread: run them off the workers.

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "core/admin.hpp"

namespace qiao {

class Store;

AdminResponse message_list(const Store& store, std::string_view query);
AdminResponse message_detail(const Store& store, std::string_view message_id);
// `one`: the message `message_id` (message_detail), else the search `query` (message_list).
boost::asio::awaitable<AdminResponse> serve_messages(const Store& store, bool one, std::string message_id,
                                                     std::string query);

}  // namespace qiao
